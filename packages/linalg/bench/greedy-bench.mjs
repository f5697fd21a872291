// Quick timing script (not a test): [DATA=clusters] [REPS=5] node bench/greedy-bench.mjs [backend] [N] [d] [K] [rowBlocks...]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerKernels, residualGreedy } from '../dist/index.js';

const [backend = 'wasm', N = '576', d = '4096', K = '128', ...blocks] = process.argv.slice(2);
const n = Number(N), dim = Number(d), k = Number(K);

/** LLaVA-like synthetic tokens: shared direction, low-rank structure, noise, heavy-tailed norms. */
function tokens(n, d, seed = 1) {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const r = 48;
  const mu = Float32Array.from({ length: d }, gauss);
  const A = Float32Array.from({ length: r * d }, gauss);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: r }, () => gauss() * 0.35);
    const scale = Math.exp(0.3 * gauss()) * (rnd() < 0.01 ? 8 : 1);
    for (let j = 0; j < d; j++) {
      let v = 0.8 * mu[j];
      for (let q = 0; q < r; q += 6) v += z[q] * A[q * d + j];
      x[i * d + j] = scale * (v + 0.6 * gauss());
    }
  }
  return x;
}

/** Harder case for speculation: 64 tight clusters, so a pick kills the scores of its cluster. */
function clusters(n, d, seed = 2) {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: 64 }, () => Float32Array.from({ length: d }, gauss));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[i % 64];
    for (let j = 0; j < d; j++) x[i * d + j] = c[j] + 0.3 * gauss();
  }
  return x;
}

await tf.setBackend(backend);
await tf.ready();
registerKernels();
const x = tf.tensor2d((process.env.DATA === 'clusters' ? clusters : tokens)(n, dim), [n, dim]);
const runs = blocks.length ? blocks.map(Number) : [undefined];
let ref;
for (const rowBlock of runs) {
  // Wall clock and process CPU time (user + system): on a shared, loaded machine the CPU time is
  // the better estimate of the uncontended wall time of this single-threaded code.
  let best = Infinity, bestCpu = Infinity, res;
  for (let rep = 0; rep < Number(process.env.REPS ?? 5); rep++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    res = residualGreedy(x, undefined, k, rowBlock === undefined ? {} : { rowBlock });
    best = Math.min(best, performance.now() - t0);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  ref ??= res.order;
  const same = res.order.every((v, i) => v === ref[i]);
  console.log(`${backend} N=${n} d=${dim} K=${k} rowBlock=${rowBlock ?? 'default'}: best wall ${best.toFixed(1)} ms, cpu ${bestCpu.toFixed(1)} ms`,
    JSON.stringify(res.stats), `energy[K-1]=${res.energy[res.energy.length - 1].toFixed(4)} sameOrder=${same}`);
}
x.dispose();
