import * as tf from '@tensorflow/tfjs-core';
import { cosineMaxRelevance, minMaxRelevance } from '@resprune/linalg';

/** The `1e-6` of docs/guide/method.md#1-relevance (from `@resprune/linalg`), which keeps r strictly positive and defines r when all c are equal. */
export { RELEVANCE_EPSILON } from '@resprune/linalg';

/**
 * Min–max relevance from the max cosines (docs/guide/method.md#1-relevance):
 * `r_i = (c_i − min_j c_j + 1e-6) / (max_j c_j − min_j c_j + 1e-6)`, so r ∈ (0, 1] and the most
 * relevant token has r = 1. Computed in float64 (`@resprune/linalg`'s `minMaxRelevance`), returned as float32.
 *
 * @param cosines - `c_i = max_m cos(v_i, t_m)`, `[tokens]`
 * @returns `[tokens]` relevance in (0, 1]
 * @example
 * ```ts
 * import { relevanceFromCosine } from '@resprune/selector';
 * relevanceFromCosine([0.1, 0.3, 0.2]); // ≈ [5e-6, 1, 0.5]
 * ```
 */
export function relevanceFromCosine(cosines: ArrayLike<number>): Float32Array {
  return Float32Array.from(minMaxRelevance(cosines));
}

/**
 * Relevance of each visual token to the text (docs/guide/method.md#1-relevance): the max-over-text cosine of
 * the raw tokens, min–max normalised; all ones without text. No tensor is left behind.
 *
 * @param visual - raw visual tokens `[tokens, hidden]`, float32, finite
 * @param text - text vectors `[words, hidden]`, or `undefined` for r = 1
 * @returns `[tokens]` relevance in (0, 1]
 * @throws {@link @resprune/errors!ResPruneError} as {@link @resprune/linalg!cosineMaxRelevance}
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { computeRelevance } from '@resprune/selector';
 * computeRelevance(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1, 0]])); // [1, ≈1e-6]
 * ```
 */
export function computeRelevance(visual: tf.Tensor2D, text: tf.Tensor2D | undefined): Float32Array {
  if (text === undefined) return new Float32Array(visual.shape[0]).fill(1);
  const c = cosineMaxRelevance(visual, text);
  try {
    return relevanceFromCosine(c.dataSync());
  } finally {
    c.dispose();
  }
}
