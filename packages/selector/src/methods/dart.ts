import * as tf from '@tensorflow/tfjs-core';
import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { noEnergyBudget, optionError, rankDescending, readInteger, UnitRows } from './common.js';

/** Options of the `'dart'` method (besides the common ones). */
export interface DartOptions {
  /** Image pivots (integer ≥ 0): the visual tokens of largest L1 norm. Default 4 with text, 8 without. */
  readonly imagePivots?: number;
  /** Text pivots (integer ≥ 0): the text vectors of largest L1 norm, at most the number of text rows. Default 4. */
  readonly textPivots?: number;
}

/** L1 norm of each row, read back to JavaScript. */
function rowL1(x: tf.Tensor2D): Float32Array {
  const t = tf.tidy(() => tf.sum(tf.abs(x), 1));
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/**
 * DART (Wen et al., "Stop Looking for Important Tokens in Multimodal Language Models: Duplication
 * Matters More", EMNLP 2025), at embedding level: choose a few pivot tokens, then for each pivot
 * keep the remaining image tokens that duplicate it least (lowest cosine similarity), so the kept
 * set holds little duplicated information.
 *
 * Published defaults (LLaVA-1.5): pivots chosen by the L1 norm of the hidden states at LLM layer 2,
 * 4 image pivots + 4 text pivots, each pivot keeping about budget / 8 tokens.
 *
 * Where ours differs:
 * - Embedding level: pivots and cosines use the tokens given here (e.g. LLM input embeddings and
 *   the prompt's word vectors), not layer-2 hidden states, so no LLM forward pass is needed.
 * - Pivots: the `imagePivots` visual tokens and `textPivots` text vectors of largest L1 norm (ties
 *   to the lowest index); without text, 8 image pivots by default so the pivot count stays 8.
 * - Exactly K: the image pivots are kept and count towards K (when K ≤ `imagePivots` only the
 *   top-K of them are kept); then each pivot in turn (image pivots by L1 norm descending, then text
 *   pivots) takes `q = ⌈(K − image pivots) / pivots⌉` of the not-yet-kept image tokens least
 *   cosine-similar to it (ties to the lowest index), until K are kept. A token an earlier pivot
 *   already took is skipped and the pivot takes its next least-similar one, so pivots never share
 *   tokens; the last pivots may take fewer than q.
 * - Budgets: `keep` and `ratio`. An `energy` budget throws `E_BUDGET`: the per-pivot quota depends
 *   on K, so selections of different sizes are not nested and the pick order has no prefix meaning.
 * - `alpha` and `normalize` do not change the picks (`normalize` only changes the reported energy
 *   curve).
 * - Order: image pivots first, then each pivot's tokens. Scores: the L1 norm for image pivots, the
 *   cosine distance `1 − cos(pivot, token)` for the others.
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const visual = [[3, 0], [2.5, 0.1], [0, 1], [1, 1], [0.1, 2]];
 * const r = selectWith('dart', visual, { keep: 2, imagePivots: 1 });
 * console.log(r.order); // [0, 2]: the largest-L1 token, then the token least like it
 * ```
 */
export const dartMethod: SelectionMethod = {
  name: 'dart',
  description: 'DART (EMNLP 2025) at embedding level: L1-norm pivots, keep tokens least similar to them',
  optionNames: ['imagePivots', 'textPivots'],
  select(input: MethodInput): MethodOutput {
    const { n, count, text } = input;
    const m = text === undefined ? 0 : text.shape[0];
    const imagePivots = readInteger('dart', input.options, 'imagePivots', m > 0 ? 4 : 8, 0, Number.MAX_SAFE_INTEGER);
    const textPivots = readInteger('dart', input.options, 'textPivots', 4, 0, Number.MAX_SAFE_INTEGER);
    if (input.energyTarget !== undefined) throw noEnergyBudget('dart', 'the per-pivot quota depends on K, so selections of different sizes are not nested');
    const pImg = Math.min(imagePivots, n);
    const pTxt = Math.min(textPivots, m);
    if (pImg + pTxt === 0) {
      throw optionError('dart', 'imagePivots', `at least 1 pivot in all (textPivots gives ${pTxt} with ${m} text rows)`, imagePivots);
    }
    const l1 = rowL1(input.visual);
    const imgPiv = rankDescending(l1).slice(0, pImg);
    const order: number[] = [];
    const scores: number[] = [];
    const taken = new Uint8Array(n);
    for (const p of imgPiv.slice(0, count)) {
      order.push(p);
      scores.push(l1[p]!);
      taken[p] = 1;
    }
    if (order.length === count) return { order: Int32Array.from(order), scores: Float64Array.from(scores) };

    const phi = new UnitRows(input.visual);
    const psi = text === undefined || pTxt === 0 ? undefined : new UnitRows(text);
    try {
      const txtPiv = text === undefined || pTxt === 0 ? [] : rankDescending(rowL1(text)).slice(0, pTxt);
      const rows: Float32Array[] = [];
      const imgRows = phi.cosineRows(imgPiv);
      for (let b = 0; b < imgPiv.length; b++) rows.push(imgRows.subarray(b * n, (b + 1) * n));
      if (psi !== undefined) {
        const txtRows = psi.cosineRows(txtPiv, phi);
        for (let b = 0; b < txtPiv.length; b++) rows.push(txtRows.subarray(b * n, (b + 1) * n));
      }
      const q = Math.ceil((count - pImg) / (pImg + pTxt));
      for (const row of rows) {
        if (order.length === count) break;
        const ranked = Array.from({ length: n }, (_, i) => i).sort((a, b) => row[a]! - row[b]! || a - b);
        let got = 0;
        for (const i of ranked) {
          if (got === q || order.length === count) break;
          if (taken[i] === 1) continue;
          taken[i] = 1;
          order.push(i);
          scores.push(1 - row[i]!);
          got++;
        }
      }
      return { order: Int32Array.from(order), scores: Float64Array.from(scores) };
    } finally {
      phi.dispose();
      psi?.dispose();
    }
  },
};
