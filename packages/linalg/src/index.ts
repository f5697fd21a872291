/**
 * Linear-algebra kernels on TensorFlow.js for visual-token pruning: cosine relevance, Gram rows, the residual-energy greedy.
 *
 * (Skeleton: the implementation lands in its own commit.)
 * @packageDocumentation
 */

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/linalg';
