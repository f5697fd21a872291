/** The `1e-6` of docs/guide/method.md#1-relevance, which keeps r strictly positive and defines r when all c are equal. */
export const RELEVANCE_EPSILON = 1e-6;

/**
 * Min–max relevance from the max cosines (docs/guide/method.md#1-relevance), in float64:
 * `r_i = (c_i − min_j c_j + 1e-6) / (max_j c_j − min_j c_j + 1e-6)`, so r ∈ (0, 1] and the most
 * relevant token has r = 1. The one implementation of this formula in the project (the fast
 * engine, its plain-JavaScript twin and `@resprune/selector` use it).
 *
 * @param cosines - `c_i = max_m cos(v_i, t_m)`, `[tokens]`
 * @returns `[tokens]` relevance in (0, 1]
 * @example
 * ```ts
 * import { minMaxRelevance } from '@resprune/linalg';
 * minMaxRelevance([0.1, 0.3, 0.2]); // ≈ [5e-6, 1, 0.5]
 * ```
 */
export function minMaxRelevance(cosines: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < cosines.length; i++) {
    const c = cosines[i]!;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  const den = hi - lo + RELEVANCE_EPSILON;
  return Float64Array.from({ length: cosines.length }, (_, i) => (cosines[i]! - lo + RELEVANCE_EPSILON) / den);
}
