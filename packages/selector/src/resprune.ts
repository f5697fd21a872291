import { residualGreedy } from '@resprune/linalg';
import type { MethodInput, MethodOutput, SelectionMethod } from './registry.js';

/**
 * Weights `w_i = r_i^α` (docs/guide/method.md#2-weights) in float64; α = 0 gives exactly 1 whatever the text.
 *
 * @param relevance - `[tokens]` relevance in (0, 1]
 * @param alpha - exponent α ≥ 0
 * @returns `[tokens]` weights
 * @example
 * ```ts
 * import { relevanceWeights } from '@resprune/selector';
 * relevanceWeights(Float32Array.of(1, 0.5), 2); // Float64Array [1, 0.25]
 * ```
 */
export function relevanceWeights(relevance: Float32Array, alpha: number): Float64Array {
  return Float64Array.from(relevance, (r) => (alpha === 0 ? 1 : Math.pow(r, alpha)));
}

/**
 * ResPrune (docs/guide/method.md#the-specification): the text-weighted residual-energy greedy on the transformed tokens,
 * with rank-exhaustion fill and its own weighted captured-energy curve. Scores are
 * `w_j·‖x_j − P_S x_j‖²` in units of the transformed tokens (0 for rank-exhaustion fills). For an
 * energy budget the greedy stops as soon as the curve reaches τ, so it costs only what it keeps.
 * Registered in {@link methods} as `'resprune'`; {@link select} runs it.
 *
 * @example
 * ```ts
 * import { methods, respruneMethod } from '@resprune/selector';
 * console.log(methods.get('resprune') === respruneMethod); // true
 * ```
 */
export const respruneMethod: SelectionMethod = {
  name: 'resprune',
  description: 'ResPrune: text-weighted residual-energy greedy (subspace reconstruction), docs/guide/method.md#the-specification',
  select(input: MethodInput): MethodOutput {
    const w = relevanceWeights(input.relevance, input.alpha);
    const r = residualGreedy(input.features, w, input.count, {
      rankTolerance: input.rankTolerance,
      ...(input.energyTarget === undefined ? {} : { energyTarget: input.energyTarget, minPicks: input.minCount }),
    });
    // features may carry an exact power-of-two scale ('center' on extreme magnitudes): undo it
    const unscale = 1 / (input.featureScale * input.featureScale);
    const scores = unscale === 1 ? r.scores : Float64Array.from(r.scores, (v) => v * unscale);
    return { order: r.order, scores, energy: r.energy };
  },
};
