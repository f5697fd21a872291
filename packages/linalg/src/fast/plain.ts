import { ResPruneError } from '@resprune/errors';
import { minMaxRelevance } from '../relevance.js';
import type { FastSelectOptions, FastSelection } from './types.js';
import { checkSelect, safeScale, type CheckedSelect } from './validate-input.js';

/** A pick's residual is recomputed explicitly when its downdated energy falls below this fraction of its start. */
export const GUARD_FRACTION = 1e-3;

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ao + k]! * b[bo + k]!;
  return s;
}

/**
 * Exact residual of token j against the picks so far, formed in feature space and projected twice
 * (the same method as the WebAssembly kernel). Returns ‖r‖² and leaves r (as float32) in `r32`.
 */
function recompute(
  x: Float32Array, d: number, n: number, j: number, t: number, picks: Int32Array, C: Float64Array, r32: Float32Array,
): number {
  const r = new Float64Array(d);
  for (let k = 0; k < d; k++) r[k] = x[j * d + k]!;
  const h = new Float64Array(t);
  const beta = new Float64Array(t);
  for (let pass = 0; pass < 2; pass++) {
    for (let q = 0; q < t; q++) {
      const pq = picks[q]!;
      if (pass === 0) {
        h[q] = C[q * n + j]!;
      } else {
        let y = 0;
        for (let k = 0; k < d; k++) y += x[pq * d + k]! * r[k]!;
        for (let s = 0; s < q; s++) y -= C[s * n + pq]! * h[s]!;
        h[q] = y / C[q * n + pq]!;
      }
    }
    for (let q = t - 1; q >= 0; q--) {
      let b = h[q]!;
      for (let s = q + 1; s < t; s++) b -= C[q * n + picks[s]!]! * beta[s]!;
      beta[q] = b / C[q * n + picks[q]!]!;
    }
    for (let q = 0; q < t; q++) {
      const b = beta[q]!;
      const off = picks[q]! * d;
      for (let k = 0; k < d; k++) r[k] = r[k]! - b * x[off + k]!;
    }
  }
  let e = 0;
  for (let k = 0; k < d; k++) {
    e += r[k]! * r[k]!;
    r32[k] = r[k]!;
  }
  return e;
}

/** The whole selection in plain JavaScript on checked input. @internal */
export function runPlain(visual: Float32Array, c: CheckedSelect): FastSelection {
  const { n, d, k, m } = c;
  let maxAbs = 0;
  for (let i = 0; i < visual.length; i++) {
    const v = visual[i]!;
    if (!Number.isFinite(v)) {
      throw new ResPruneError('E_NON_FINITE', `fastSelect: visual contains ${v} (token ${Math.floor(i / d)}, feature ${i % d}); clean or mask the input first`);
    }
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
  }
  const scale = safeScale(maxAbs);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = visual[i]! * scale;
  const e0 = new Float64Array(n);
  for (let i = 0; i < n; i++) e0[i] = dot(x, i * d, x, i * d, d);

  // weights
  const w = new Float64Array(n);
  const relevance = new Float64Array(n).fill(1);
  if (c.weights !== undefined) {
    w.set(c.weights);
  } else if (m > 0 && c.text !== undefined) {
    const t = new Float32Array(c.text.length);
    for (let i = 0; i < t.length; i++) t[i] = c.text[i]! * c.textScale;
    const tn = new Float64Array(m);
    for (let q = 0; q < m; q++) tn[q] = Math.sqrt(dot(t, q * d, t, q * d, d));
    const rel = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const vn = Math.sqrt(e0[i]!);
      let best = -Infinity;
      for (let q = 0; q < m; q++) {
        const den = vn * tn[q]!;
        const cs = den > 0 ? dot(t, q * d, x, i * d, d) / den : 0;
        if (cs > best) best = cs;
      }
      rel[i] = Math.max(-1, Math.min(1, best));
    }
    relevance.set(minMaxRelevance(rel));
    for (let i = 0; i < n; i++) w[i] = c.alpha === 0 ? 1 : Math.pow(relevance[i]!, c.alpha);
  } else {
    w.fill(1);
  }

  // transform
  if (c.normalizeCode === 2) {
    const mu = new Float32Array(d);
    for (let kk = 0; kk < d; kk++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i * d + kk]!;
      mu[kk] = s / n;
    }
    for (let i = 0; i < n; i++) {
      for (let kk = 0; kk < d; kk++) x[i * d + kk] = x[i * d + kk]! - mu[kk]!;
      e0[i] = dot(x, i * d, x, i * d, d);
    }
  } else if (c.normalizeCode === 1) {
    for (let i = 0; i < n; i++) {
      if (e0[i]! > 0) {
        const s = Math.fround(1 / Math.sqrt(e0[i]!));
        for (let kk = 0; kk < d; kk++) x[i * d + kk] = x[i * d + kk]! * s;
        e0[i] = 1; // unit rows: exactly 1, so equal weights tie exactly (lowest index wins)
      }
    }
  }

  // greedy
  const E = Float64Array.from(e0);
  const picked = new Uint8Array(n);
  const C = new Float64Array(k * n);
  const picks = new Int32Array(k);
  const order = new Int32Array(k);
  const scores = new Float64Array(k);
  const captured = new Float64Array(k);
  const r32 = new Float32Array(d);
  let total = 0;
  let maxInit = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]! * e0[i]!;
    total += v;
    if (v > maxInit) maxInit = v;
  }
  const tolAbs = c.rankTolerance * maxInit;
  let count = 0;
  let exhaustedAt = -1;
  let capt = 0;
  let passes = 0;
  let recomputes = 0;
  for (let s = 0; s < k; s++) {
    let j = -1;
    let score = -1;
    for (let i = 0; i < n; i++) {
      if (picked[i] !== 0) continue;
      const v = w[i]! * E[i]!;
      if (v > score) {
        score = v;
        j = i;
      }
    }
    if (j < 0 || score <= tolAbs) {
      exhaustedAt = s;
      break;
    }
    let Ej = E[j]!;
    const off = s * n;
    passes++;
    if (s > 0 && Ej < GUARD_FRACTION * e0[j]!) {
      recomputes++;
      const e = recompute(x, d, n, j, s, picks, C, r32);
      if (!(w[j]! * e > tolAbs)) {
        exhaustedAt = s;
        break;
      }
      Ej = e;
      score = w[j]! * e;
      for (let i = 0; i < n; i++) C[off + i] = dot(r32, 0, x, i * d, d);
    } else {
      for (let i = 0; i < n; i++) C[off + i] = dot(x, j * d, x, i * d, d);
      for (let q = 0; q < s; q++) {
        const cq = C[q * n + j]!;
        if (cq === 0) continue;
        const qo = q * n;
        for (let i = 0; i < n; i++) C[off + i] = C[off + i]! - cq * C[qo + i]!;
      }
    }
    const sq = Math.sqrt(Ej);
    const inv = 1 / sq;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const cc = C[off + i]! * inv;
      C[off + i] = cc;
      const e = E[i]! - cc * cc;
      E[i] = e > 0 ? e : 0;
    }
    C[off + j] = sq;
    E[j] = 0;
    picked[j] = 1;
    picks[s] = j;
    for (let i = 0; i < n; i++) sum += w[i]! * E[i]!;
    capt = total > 0 ? 1 - sum / total : 1;
    order[s] = j;
    scores[s] = score;
    captured[s] = capt;
    count = s + 1;
    if (c.energy !== undefined && count >= c.minKeep && capt >= c.energy) break;
  }
  if (exhaustedAt >= 0) {
    for (let s = exhaustedAt; s < k; s++) {
      let bi = -1;
      let best = -1;
      for (let i = 0; i < n; i++) {
        if (picked[i] !== 0) continue;
        const v = w[i]! * e0[i]!;
        if (v > best) {
          best = v;
          bi = i;
        }
      }
      picked[bi] = 1;
      order[s] = bi;
      scores[s] = 0;
      captured[s] = 1;
    }
    count = k;
  } else if (count === n) {
    captured[count - 1] = 1;
  }
  const unit = 1 / (scale * scale);
  const outScores = scores.slice(0, count);
  for (let s = 0; s < count; s++) outScores[s] = outScores[s]! * unit;
  return {
    order: order.slice(0, count),
    scores: outScores,
    captured: captured.slice(0, count),
    weights: w,
    relevance,
    exhaustedAt,
    totalEnergy: total * unit,
    stats: { kind: 'js', threads: 1, passes, gramRows: passes, recomputes },
  };
}

/**
 * The ResPrune selection (docs/guide/method.md#the-specification) in plain JavaScript on typed arrays: the reference the
 * WebAssembly kernel is tested against, and the fallback where WebAssembly SIMD is missing. Dot
 * products and every energy are float64; the transformed tokens are float32, as in the kernel.
 *
 * @param visual - tokens `[n, d]`, row-major float32
 * @param n - number of tokens
 * @param d - features per token
 * @param options - budget, relevance and transform options
 * @returns the picks in order, their scores and the captured-energy curve
 * @throws {@link @resprune/errors!ResPruneError} `E_DTYPE`, `E_SHAPE_MISMATCH`, `E_EMPTY_INPUT`,
 *   `E_NON_FINITE`, `E_BUDGET` or `E_INVALID_OPTION` on bad input
 * @example
 * ```ts
 * import { selectPlain } from '@resprune/linalg';
 * const visual = new Float32Array([1, 0, 0, 1, 1, 1]);      // 3 tokens × 2 features
 * const { order } = selectPlain(visual, 3, 2, { keep: 2 });  // Int32Array [2, 0]
 * ```
 */
export function selectPlain(visual: Float32Array, n: number, d: number, options: FastSelectOptions): FastSelection {
  return runPlain(visual, checkSelect(visual, n, d, options));
}
