import { seededRandom as rng } from '@resprune/test-backends';

/**
 * An independent float64 reference of the ResPrune greedy for the fast-path tests: explicit
 * residual vectors updated by modified Gram–Schmidt (no incremental Cholesky, no Gram rows), so it
 * shares no numerics with the kernel. It also reports, per pick, whether the decision was a
 * near-tie (best and runner-up scores within `tieTol` relative), where float32 kernels may
 * legitimately choose differently.
 */
export interface RefOptions {
  keep: number;
  text?: Float32Array;
  alpha?: number;
  weights?: ArrayLike<number>;
  normalize?: 'none' | 'l2' | 'center';
  rankTolerance?: number;
  energy?: number;
  minKeep?: number;
}

export interface RefResult {
  order: number[];
  scores: number[];
  captured: number[];
  weights: Float64Array;
  exhaustedAt: number;
  /** nearTie[s]: pick s was decided by a margin below tieTol (relative). */
  nearTie: boolean[];
}

export function referenceSelect(visual: Float32Array, n: number, d: number, o: RefOptions, tieTol = 1e-5): RefResult {
  const raw: Float64Array[] = [];
  for (let i = 0; i < n; i++) raw.push(Float64Array.from(visual.subarray(i * d, (i + 1) * d)));
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += a[k]! * b[k]!;
    return s;
  };
  // weights
  const w = new Float64Array(n).fill(1);
  if (o.weights !== undefined) {
    for (let i = 0; i < n; i++) w[i] = o.weights[i]!;
  } else if (o.text !== undefined && o.text.length > 0) {
    const m = o.text.length / d;
    const t: Float64Array[] = [];
    for (let q = 0; q < m; q++) t.push(Float64Array.from(o.text.subarray(q * d, (q + 1) * d)));
    const c = raw.map((v) => Math.max(...t.map((tq) => {
      const den = Math.sqrt(dot(v, v)) * Math.sqrt(dot(tq, tq));
      return den > 0 ? dot(v, tq) / den : 0;
    })));
    const lo = Math.min(...c);
    const hi = Math.max(...c);
    const alpha = o.alpha ?? 1;
    for (let i = 0; i < n; i++) w[i] = alpha === 0 ? 1 : Math.pow((c[i]! - lo + 1e-6) / (hi - lo + 1e-6), alpha);
  }
  // transform
  let x = raw.map((v) => Float64Array.from(v));
  if (o.normalize === 'l2') {
    x = x.map((v) => {
      const nn = Math.sqrt(dot(v, v));
      return nn > 0 ? v.map((a) => a / nn) : v;
    });
  } else if (o.normalize === 'center') {
    const mu = new Float64Array(d);
    for (const v of x) for (let k = 0; k < d; k++) mu[k] = mu[k]! + v[k]! / n;
    x = x.map((v) => v.map((a, k) => a - mu[k]!));
  }
  const e0 = x.map((v) => (o.normalize === 'l2' ? (dot(v, v) > 0 ? 1 : 0) : dot(v, v)));
  const R = x.map((v) => Float64Array.from(v));
  const E = Float64Array.from(e0);
  const picked = new Uint8Array(n);
  const total = e0.reduce((s, e, i) => s + w[i]! * e, 0);
  const maxInit = Math.max(...e0.map((e, i) => w[i]! * e));
  const tol = (o.rankTolerance ?? 1e-6) * maxInit;
  const k = Math.min(o.keep, n);
  const res: RefResult = { order: [], scores: [], captured: [], weights: w, exhaustedAt: -1, nearTie: [] };
  for (let s = 0; s < k; s++) {
    let j = -1;
    let best = -1;
    let second = -1;
    for (let i = 0; i < n; i++) {
      if (picked[i]) continue;
      const v = w[i]! * E[i]!;
      if (v > best) {
        second = best;
        best = v;
        j = i;
      } else if (v > second) second = v;
    }
    if (j < 0 || best <= tol) {
      res.exhaustedAt = s;
      break;
    }
    res.nearTie.push(second >= 0 && best - second <= tieTol * best);
    const nj = Math.sqrt(E[j]!);
    const q = R[j]!.map((a) => a / nj);
    picked[j] = 1;
    for (let i = 0; i < n; i++) {
      if (picked[i]) {
        E[i] = 0;
        continue;
      }
      const c = dot(q, R[i]!);
      const Ri = R[i]!;
      for (let kk = 0; kk < d; kk++) Ri[kk] = Ri[kk]! - c * q[kk]!;
      E[i] = dot(Ri, Ri);
    }
    res.order.push(j);
    res.scores.push(best);
    const left = E.reduce((acc, e, i) => acc + w[i]! * e, 0);
    res.captured.push(total > 0 ? 1 - left / total : 1);
    if (o.energy !== undefined && res.order.length >= (o.minKeep ?? 1) && res.captured.at(-1)! >= o.energy) break;
  }
  if (res.exhaustedAt >= 0) {
    const rest = [...Array(n).keys()].filter((i) => !picked[i]).sort((a, b) => w[b]! * e0[b]! - w[a]! * e0[a]! || a - b);
    for (const i of rest.slice(0, k - res.order.length)) {
      res.order.push(i);
      res.scores.push(0);
      res.captured.push(1);
      res.nearTie.push(false);
    }
  }
  if (res.exhaustedAt < 0 && res.order.length === n) res.captured[n - 1] = 1;
  return res;
}

/** Seeded uniform numbers in [0, 1) (mulberry32, shared with the other packages' tests). */
export { rng };

/** Seeded standard normal numbers. */
export function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
}

/**
 * Tokens that look like projected visual tokens: a shared direction, a low-rank smooth field over
 * the patch grid, and noise, with varying norms. `[n, d]`, row-major.
 */
export function tokens(n: number, d: number, seed: number, rank = 12): Float32Array {
  const g = gaussian(seed);
  const basis = Float64Array.from({ length: rank * d }, g);
  const common = Float64Array.from({ length: d }, () => g() * 1.2);
  const side = Math.ceil(Math.sqrt(n));
  const freq = Array.from({ length: rank }, () => [g(), g(), g() * 3]);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const u = i % side;
    const v = Math.floor(i / side);
    const c = freq.map(([a, b, p]) => Math.cos(0.4 * a! * u + 0.4 * b! * v + p!) + 0.3 * g());
    const amp = 0.5 + Math.abs(g()) * 0.5;
    for (let k = 0; k < d; k++) {
      let s = common[k]! + 0.6 * g();
      for (let q = 0; q < rank; q++) s += c[q]! * basis[q * d + k]! * 0.4;
      x[i * d + k] = s * amp;
    }
  }
  return x;
}
