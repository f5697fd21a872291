/**
 * Independent float64 references for the tests, written plainly from the formulas (they import
 * nothing from the implementation): column-pivoted Gram–Schmidt (= LAPACK geqp3 pivot order) on the
 * columns √w_i·x_i with the spec's rank-exhaustion fill, and a seeded RNG.
 */

/** mulberry32 floats in [0, 1), shared by every package's tests. */
import { seededRandom as rng } from '@resprune/test-backends';

export { rng };

/** Standard normal samples (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** `[n, d]` float32 matrix of N(0, 1) entries. */
export function randomMatrix(n: number, d: number, seed: number): Float32Array {
  const g = gaussian(rng(seed));
  return Float32Array.from({ length: n * d }, g);
}

/** Rows of a flat matrix as float64 arrays. */
export function rows(x: ArrayLike<number>, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, k) => x[i * d + k]!));
}

export interface ReferenceGreedy {
  order: number[];
  scores: number[];
  energy: number[];
  /** At each residual pick: (best − second best) / best, the float rounding headroom. */
  margins: number[];
  residualPicks: number;
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, k) => s + v * b[k]!, 0);

/**
 * Column-pivoted modified Gram–Schmidt with re-orthogonalisation, in float64, on r_i = √w_i·x_i:
 * pick argmax ‖r_i‖² (ties lowest index) while it exceeds tol·max initial; then fill by
 * w_i‖x_i‖² descending, ties lowest index. energy[t] = 1 − Σ‖r_i‖² / Σ w_i‖x_i‖² (1 once exhausted).
 */
export function referenceGreedy(x: number[][], w: number[], k: number, rankTolerance = 1e-6): ReferenceGreedy {
  const n = x.length;
  const r = x.map((row, i) => row.map((v) => v * Math.sqrt(w[i]!)));
  const init = r.map((row) => dot(row, row));
  const total = init.reduce((a, b) => a + b, 0);
  const tol = rankTolerance * Math.max(...init);
  const picked = new Array<boolean>(n).fill(false);
  const out: ReferenceGreedy = { order: [], scores: [], energy: [], margins: [], residualPicks: 0 };
  const K = Math.min(k, n);
  let exhausted = false;
  while (out.order.length < K) {
    let j = -1;
    let best = tol;
    let second = 0;
    for (let i = 0; i < n; i++) {
      if (picked[i]) continue;
      const e = dot(r[i]!, r[i]!);
      if (e > best) {
        if (j >= 0) second = Math.max(second, best);
        best = e;
        j = i;
      } else second = Math.max(second, e);
    }
    if (j < 0) {
      exhausted = true;
      break;
    }
    out.margins.push((best - second) / best);
    picked[j] = true;
    out.order.push(j);
    out.scores.push(best);
    const q = r[j]!.map((v) => v / Math.sqrt(best));
    for (let i = 0; i < n; i++) {
      if (picked[i]) {
        r[i] = r[i]!.map(() => 0);
        continue;
      }
      for (let pass = 0; pass < 2; pass++) {
        const c = dot(q, r[i]!);
        r[i] = r[i]!.map((v, kk) => v - c * q[kk]!);
      }
    }
    const left = r.reduce((s, row, i) => s + (picked[i] ? 0 : dot(row, row)), 0);
    out.energy.push(total > 0 ? 1 - left / total : 1);
  }
  out.residualPicks = out.order.length;
  if (!exhausted && out.order.length < n) {
    // same test as the next step would make: is anything left above tolerance?
    exhausted = r.every((row, i) => picked[i] || dot(row, row) <= tol);
  }
  if (out.order.length === n) exhausted = true;
  if (exhausted && out.energy.length > 0) out.energy[out.energy.length - 1] = 1;
  if (exhausted) {
    const rest = [...Array(n).keys()].filter((i) => !picked[i]);
    rest.sort((a, b) => init[b]! - init[a]! || a - b);
    for (const i of rest) {
      if (out.order.length >= K) break;
      out.order.push(i);
      out.scores.push(0);
      out.energy.push(1);
    }
  }
  return out;
}
