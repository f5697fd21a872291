import * as tf from '@tensorflow/tfjs-core';
import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { argmax, checkPairwise, COSINE_BLOCK_ROWS, UnitRows } from './common.js';

/**
 * For each row of the unit-row matrix `phi`, the largest cosine to any *other* row (its nearest
 * neighbour), computed in row blocks on the backend; `-Infinity` when there is a single row.
 */
function nearestNeighbourCosine(phi: UnitRows): Float64Array {
  const n = phi.rows;
  const out = new Float64Array(n).fill(-Infinity);
  if (n < 2) return out;
  for (let start = 0; start < n; start += COSINE_BLOCK_ROWS) {
    const size = Math.min(COSINE_BLOCK_ROWS, n - start);
    const best = tf.tidy(() => {
      const block = tf.matMul(tf.slice(phi.phi, [start, 0], [size, -1]), phi.phiT);
      // mask each row's own column with -Infinity
      const self = tf.cast(tf.oneHot(tf.range(start, start + size, 1, 'int32'), n), 'bool');
      return tf.max(tf.where(self, tf.fill([size, n], -Infinity), block), 1);
    });
    const v = best.dataSync();
    best.dispose();
    for (let b = 0; b < size; b++) out[start + b] = v[b]!;
  }
  return out;
}

/**
 * DivPrune (Alvar et al., "DivPrune: Diversity-based Visual Token Pruning for Large Multimodal
 * Models", CVPR 2025): keep the subset that maximises the minimum pairwise distance (the Max–Min
 * Diversity Problem), solved greedily on the cosine distance `D_ij = 1 − cos(v_i, v_j)` of the raw
 * tokens. First pick: the token whose nearest neighbour is farthest, `argmax_i min_{j≠i} D_ij`;
 * then repeatedly the token whose minimum distance to the chosen set is largest,
 * `argmax_{i∉S} min_{s∈S} D_is`. Ties go to the lowest index.
 *
 * Published defaults: no hyper-parameters besides the budget; the paper prunes before the LLM
 * (as here) and reports budgets as ratios of the 576 LLaVA-1.5 tokens.
 *
 * Where ours differs:
 * - The paper builds the full `[N, N]` distance matrix. We compute it in row blocks only to find
 *   each token's nearest neighbour, then one matrix row per pick: O(N²·d + N·K·d) time, O(N)
 *   memory beyond the tokens. The picks are the same.
 * - Zero tokens have cosine 0 with everything (distance 1), where the paper's formula divides by 0.
 * - Text, `alpha` and `normalize` do not change the picks (`normalize` only changes the reported
 *   energy curve). Budgets: `keep`, `ratio` and `energy` (the greedy order is nested, so an energy
 *   budget stops along it where the generic captured-energy curve reaches τ).
 * - Scores: each pick's minimum distance to the tokens chosen before it (the first pick's
 *   nearest-neighbour distance).
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const r = selectWith('divprune', [[1, 0], [0.99, 0.1], [0, 1], [-1, 0]], { keep: 2 });
 * console.log(r.order); // [3, 0]: the most isolated token, then the one farthest from it
 * ```
 */
export const divpruneMethod: SelectionMethod = {
  name: 'divprune',
  description: 'DivPrune (CVPR 2025): greedy max-min diversity on cosine distance',
  select(input: MethodInput): MethodOutput {
    const { n, count } = input;
    checkPairwise('divprune', n);
    const phi = new UnitRows(input.visual);
    try {
      const chosen = new Uint8Array(n);
      const order = new Int32Array(count);
      const scores = new Float64Array(count);
      // first pick: farthest nearest neighbour
      const nnDistance = Float64Array.from(nearestNeighbourCosine(phi), (c) => (c === -Infinity ? 2 : 1 - c));
      let j = argmax(nnDistance, () => true);
      const minDist = new Float64Array(n).fill(Infinity);
      for (let t = 0; t < count; t++) {
        order[t] = j;
        scores[t] = t === 0 ? nnDistance[j]! : minDist[j]!;
        chosen[j] = 1;
        if (t + 1 === count) break;
        const row = phi.cosineRows([j]);
        for (let i = 0; i < n; i++) {
          const dist = 1 - row[i]!;
          if (dist < minDist[i]!) minDist[i] = dist;
        }
        j = argmax(minDist, (i) => chosen[i] === 0);
      }
      return { order, scores };
    } finally {
      phi.dispose();
    }
  },
};
