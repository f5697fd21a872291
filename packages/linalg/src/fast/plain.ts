import { ResPruneError } from '@resprune/errors';
import { runResidualGreedy } from '../greedy/core.js';
import { jsRowSource } from '../greedy/sources.js';
import { minMaxRelevance } from '../relevance.js';
import type { FastSelectOptions, FastSelection } from './types.js';
import { checkSelect, safeScale, type CheckedSelect } from './validate-input.js';

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ao + k]! * b[bo + k]!;
  return s;
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

  // greedy: the one JavaScript implementation (greedy/core.ts), on float64 Gram rows of the
  // transformed float32 tokens
  const out = runResidualGreedy(jsRowSource(x, n, d), w, {
    k,
    rankTolerance: c.rankTolerance,
    energyTarget: c.energy,
    minPicks: c.energy === undefined ? k : c.minKeep,
    rowBlock: 1,
    forcedOrder: undefined,
    norms: e0,
  });
  const count = out.order.length;
  const unit = 1 / (scale * scale);
  const outScores = out.scores.slice();
  for (let s = 0; s < count; s++) outScores[s] = outScores[s]! * unit;
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i]! * e0[i]!;
  return {
    order: out.order,
    scores: outScores,
    captured: out.energy,
    weights: w,
    relevance,
    exhaustedAt: out.exhausted && out.residualPicks < count ? out.residualPicks : -1,
    totalEnergy: total * unit,
    stats: { kind: 'js', threads: 1, passes: out.gramBlocks, gramRows: out.gramRows, recomputes: out.recomputes },
  };
}

/**
 * The ResPrune selection (docs/guide/method.md#the-specification) in plain JavaScript on typed arrays: the fallback where
 * WebAssembly SIMD is missing. Relevance and transform as in the WebAssembly kernel, then the one
 * JavaScript greedy of this package (the same code as the tfjs cpu kernel). Dot products and every
 * energy are float64; the transformed tokens are float32, as in the kernel.
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
