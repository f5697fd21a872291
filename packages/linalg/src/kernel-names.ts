/**
 * Names of the custom TensorFlow.js kernels of this package. Each is namespaced `ResPrune.` so it
 * can never clash with a tfjs kernel name; the registry key is `${backend}_${name}`.
 */

/** Residual-energy greedy (and its forced-order energy-curve mode): inputs `x`, `weights`, optional `order`. */
export const ResidualGreedy = 'ResPrune.ResidualGreedy';
/** Rows of the Gram matrix X Xᵀ: inputs `x`, `indices`. */
export const GramRows = 'ResPrune.GramRows';
/** Max-over-text cosine relevance: inputs `visual`, `text`. */
export const CosineMaxRelevance = 'ResPrune.CosineMaxRelevance';
