import * as tf from '@tensorflow/tfjs-core';
import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { relevanceFromCosine } from '../relevance.js';
import { argmax, rankDescending, readChoice, UnitRows } from './common.js';

/** How `'cdpruner'` turns text into relevance r: see {@link cdprunerMethod}. */
export const CDPRUNER_RELEVANCE_MODES = ['paper', 'code', 'spec'] as const;

/** One of {@link CDPRUNER_RELEVANCE_MODES}. */
export type CdprunerRelevance = (typeof CDPRUNER_RELEVANCE_MODES)[number];

/** Options of the `'cdpruner'` method (besides the common ones). */
export interface CdprunerOptions {
  /**
   * `'paper'` (default): r from the mean cosine to the text, higher = more relevant, as the paper
   * describes it. `'code'`: r from the *negative* mean cosine, as the published code computes it.
   * `'spec'`: the relevance of docs/guide/method.md#1-relevance (max cosine over the text), the r ResPrune uses.
   */
  readonly relevance?: CdprunerRelevance;
}

/**
 * CDPruner's relevance r, `[tokens]` in (0, 1]: `c_i = mean_m cos(v_i, t_m)` (negated for
 * `'code'`), min–max normalised as in docs/guide/method.md#1-relevance; for `'spec'` the `spec` array itself;
 * all ones without text.
 */
function cdprunerRelevance(phi: UnitRows, text: tf.Tensor2D | undefined, mode: CdprunerRelevance, spec: Float32Array): Float64Array {
  const n = phi.rows;
  if (text === undefined) return new Float64Array(n).fill(1);
  if (mode === 'spec') return Float64Array.from(spec);
  const psi = new UnitRows(text);
  try {
    const m = psi.rows;
    const cos = phi.cosineMatrix(psi);
    const sign = mode === 'code' ? -1 : 1;
    const c = Float64Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let k = 0; k < m; k++) s += cos[i * m + k]!;
      return (sign * s) / m;
    });
    return Float64Array.from(relevanceFromCosine(c));
  } finally {
    psi.dispose();
  }
}

/**
 * CDPruner (Zhang et al., "Beyond Attention or Similarity: Maximizing Conditional Diversity for
 * Token Pruning in MLLMs", NeurIPS 2025): keep the MAP subset of a conditional determinantal
 * point process with kernel `L = diag(r)·S·diag(r)`, S the cosine-similarity matrix of the visual
 * tokens and r their min–max normalised relevance to the instruction, found by the fast greedy MAP
 * algorithm (Chen et al., NeurIPS 2018): incremental Cholesky, each step adding
 * `argmax_i d_i²` where `d_i²` is the Schur complement of `L_ii` given the chosen set; kept indices
 * are returned sorted.
 *
 * Published defaults: relevance from the CLIP text and image embeddings, averaged over the
 * instruction's tokens and min–max normalised; no other hyper-parameter. The published code
 * negates the mean cosine before normalising (so the *least* similar tokens get r = 1), while the
 * paper describes higher similarity as more relevant.
 *
 * Where ours differs:
 * - Relevance (option `relevance`): `'paper'` is the default and follows the paper's meaning;
 *   `'code'` reproduces the published code's sign; `'spec'` uses the relevance of docs/guide/method.md#1-relevance
 *   (max over the text), with which CDPruner equals ResPrune at α = 2, `normalize: 'l2'`. The text
 *   is whatever vectors you pass (for LLaVA: LLM input embeddings of the prompt words, not CLIP).
 * - Min–max normalisation adds 1e-6 to the numerator as docs/guide/method.md#1-relevance does, so r > 0 for every
 *   token (the code's r = 0 for the least relevant token would make its kernel row vanish).
 * - Rank exhaustion: when every remaining `d_i²` is ≤ `rankTolerance` × the largest initial one,
 *   the remaining slots are filled by `L_ii = r_i²·‖φ_i‖²` descending, ties to the lowest index
 *   (the reference stops early and returns fewer tokens; here K is always met).
 * - Kernel rows are computed one per pick (O(N·K·d) time), never the full `[N, N]` kernel.
 * - `alpha` and `normalize` do not change the picks (`normalize` only changes the reported energy
 *   curve). Budgets: `keep`, `ratio`, `energy` (the greedy order is nested).
 * - Scores: each pick's `d_j²` (the gain in det L), 0 for rank-exhaustion fills.
 * - The diagonal is exactly `L_ii = r_i²` (0 for a zero token), as cos(φ_i, φ_i) = 1. So the
 *   equivalence with ResPrune (α = 2, `'l2'`, same r) holds up to tie-breaking: where the scores
 *   tie exactly, e.g. the first pick without text (every `L_ii = 1`), CDPruner takes the lowest
 *   index while ResPrune compares the float32-rounded `‖φ_i‖²`, and the two orders can part there.
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const visual = [[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]];
 * const r = selectWith('cdpruner', visual, { keep: 2, text: [[0, 1, 0]] });
 * console.log(r.kept); // [1, 2]: the token matching the text, then the next most relevant one
 * ```
 */
export const cdprunerMethod: SelectionMethod = {
  name: 'cdpruner',
  description: 'CDPruner (NeurIPS 2025): conditional DPP, greedy MAP on diag(r)·cos·diag(r)',
  optionNames: ['relevance'],
  select(input: MethodInput): MethodOutput {
    const mode = readChoice('cdpruner', input.options, 'relevance', CDPRUNER_RELEVANCE_MODES, 'paper');
    const { n, count } = input;
    const phi = new UnitRows(input.visual);
    try {
      const r = cdprunerRelevance(phi, input.text, mode, input.relevance);
      // L_ii = r_i² ‖φ_i‖², where ‖φ_i‖ is 1, or 0 for a zero token
      const normsT = tf.tidy(() => tf.sum(tf.square(phi.phi), 1));
      const norms = normsT.dataSync();
      normsT.dispose();
      const diag = Float64Array.from({ length: n }, (_, i) => r[i]! * r[i]! * (norms[i]! > 0.25 ? 1 : 0));
      const d2 = Float64Array.from(diag);
      const tol = input.rankTolerance * diag.reduce((a, b) => Math.max(a, b), 0);
      const chosen = new Uint8Array(n);
      const order = new Int32Array(count);
      const scores = new Float64Array(count);
      const c = new Float64Array(count * n); // c[s * n + i]: token i's coefficient on the s-th Cholesky direction
      let t = 0;
      while (t < count) {
        const j = argmax(d2, (i) => chosen[i] === 0);
        if (j < 0 || !(d2[j]! > tol)) break;
        order[t] = j;
        scores[t] = d2[j]!;
        chosen[j] = 1;
        t++;
        if (t === count) break;
        // one kernel row per pick: L_ji = r_j r_i cos(φ_j, φ_i)
        const row = phi.cosineRows([j]);
        const dj = Math.sqrt(d2[j]!);
        const s = t - 1;
        for (let i = 0; i < n; i++) {
          if (chosen[i] === 1) continue;
          let dot = 0;
          for (let q = 0; q < s; q++) dot += c[q * n + j]! * c[q * n + i]!;
          const e = (r[j]! * r[i]! * row[i]! - dot) / dj;
          c[s * n + i] = e;
          const left = d2[i]! - e * e;
          d2[i] = left > 0 ? left : 0;
        }
      }
      if (t < count) {
        for (const i of rankDescending(diag)) {
          if (t === count) break;
          if (chosen[i] === 1) continue;
          chosen[i] = 1;
          order[t] = i;
          scores[t] = 0;
          t++;
        }
      }
      return { order, scores };
    } finally {
      phi.dispose();
    }
  },
};
