// Micro-benchmark: does matMul(x, W, false, true) with a PyTorch-layout [out, in] weight cost more than
// matMul(x, Wt) with the weight pre-transposed to [in, out], on a tfjs backend?
// Usage: node bench/matmul.mjs [--backend wasm|cpu] [--repeat N]
// Shapes are the benchmark model's MLP: in 1024, out 2816 (up/gate) and in 2816, out 1024 (down), for
// M = 1 (one decoded token), 84, 148 and 596 rows (pruned and unpruned prefill lengths).
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
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
