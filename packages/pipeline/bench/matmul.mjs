// Micro-benchmark: does matMul(x, W, false, true) with a PyTorch-layout [out, in] weight cost more than
// matMul(x, Wt) with the weight pre-transposed to [in, out], on a tfjs backend?
// Usage: node bench/matmul.mjs [--backend wasm|cpu] [--repeat N]
// Shapes are the benchmark model's MLP: in 1024, out 2816 (up/gate) and in 2816, out 1024 (down), for
// M = 1 (one decoded token), 84, 148 and 596 rows (pruned and unpruned prefill lengths).
// Second table: the attention products q·kᵀ and p·v of 16 heads (head size 64) over L tokens, as one batched
// (rank-3) matMul against 16 2-D matMuls with a [K, N] right operand (the pipeline's batchMatMul on wasm).
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, repeat: { type: 'string', default: '5' } } });
tf.enableProdMode();
await tf.setBackend(values.backend);
await tf.ready();
const repeat = Number(values.repeat);

function time(fn) {
  const out = fn(); // warm-up
  out.dataSync();
  out.dispose();
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    const y = fn();
    y.dataSync();
    best = Math.min(best, performance.now() - t0);
    y.dispose();
  }
  return best;
}

console.log(`backend ${tf.getBackend()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, best of ${repeat}`);
console.log('| in × out | M | transposeB ms | pre-transposed ms | speed-up | GFLOP/s (transposeB → pre-transposed) | max |Δ| |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [inDim, outDim] of [[1024, 2816], [2816, 1024]]) {
  const w = tf.randomNormal([outDim, inDim], 0, 1 / Math.sqrt(inDim), 'float32', 1);
  const wt = tf.transpose(w);
  for (const m of [1, 84, 148, 596]) {
    const x = tf.randomNormal([m, inDim], 0, 1, 'float32', 2);
    const a = time(() => tf.matMul(x, w, false, true));
    const b = time(() => tf.matMul(x, wt));
    const ya = tf.matMul(x, w, false, true);
    const yb = tf.matMul(x, wt);
    const diff = tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0];
    tf.dispose([ya, yb, x]);
    const gf = (ms) => ((2 * m * inDim * outDim) / (ms * 1e6)).toFixed(2);
    console.log(`| ${inDim} × ${outDim} | ${m} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(1)}× | ${gf(a)} → ${gf(b)} | ${diff.toExponential(1)} |`);
  }
  tf.dispose([w, wt]);
}
function perHead(a, b, transposeB) {
  const bt = transposeB ? tf.transpose(b, [0, 2, 1]) : b;
  const as = tf.unstack(a);
  const bs = tf.unstack(bt);
  return tf.stack(as.map((x, i) => tf.matMul(x, bs[i])));
}
console.log('');
console.log('| product | L | batched ms | per-head 2-D ms | speed-up | max |Δ| |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const L of [84, 212, 596]) {
  const q = tf.randomNormal([16, L, 64], 0, 1, 'float32', 3);
  const k = tf.randomNormal([16, L, 64], 0, 1, 'float32', 4);
  const p = tf.softmax(tf.randomNormal([16, L, L], 0, 1, 'float32', 5));
  for (const [label, a, b, tb] of [['q·kᵀ', q, k, true], ['p·v', p, k, false]]) {
    const t1 = time(() => tf.matMul(a, b, false, tb));
    const t2 = time(() => perHead(a, b, tb));
    const y1 = tf.matMul(a, b, false, tb);
    const y2 = perHead(a, b, tb);
    const diff = tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0];
    tf.dispose([y1, y2]);
    console.log(`| ${label} | ${L} | ${t1.toFixed(1)} | ${t2.toFixed(1)} | ${(t1 / t2).toFixed(1)}× | ${diff.toExponential(1)} |`);
  }
  tf.dispose([q, k, p]);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
