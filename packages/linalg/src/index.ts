/**
 * Linear-algebra ops on TensorFlow.js for visual-token pruning: max-cosine text relevance, rows of
 * the Gram matrix, and the ResPrune residual-energy greedy with its captured-energy curve.
 *
 * Every op validates its inputs (rank, float32, finite, non-empty, matching sizes) and throws a
 * {@link @resprune/errors!ResPruneError} with a stable code otherwise. Ops dispatch to custom kernels
 * where they are registered ({@link registerKernels}: cpu and wasm) and compose public tfjs ops on
 * any other backend (tfjs-node, webgl). Nothing registers at import time.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { registerKernels, residualGreedy } from '@resprune/linalg';
 *
 * registerKernels();
 * const x = tf.randomNormal<tf.Rank.R2>([576, 64]);
 * const { order, energy } = residualGreedy(x, undefined, 16);
 * console.log(order, energy[15]);
 * x.dispose();
 * ```
 * @packageDocumentation
 */

export { CosineMaxRelevance, GramRows, ResidualGreedy } from './kernel-names.js';
export { cosineMaxRelevance } from './ops/cosine-max-relevance.js';
export { gramRows, type RowIndices } from './ops/gram-rows.js';
export {
  DEFAULT_RANK_TOLERANCE,
  DEFAULT_ROW_BLOCK,
  energyCurve,
  residualGreedy,
  type EnergyCurveOptions,
  type EnergyCurveResult,
  type GreedyStats,
  type ResidualGreedyOptions,
  type ResidualGreedyResult,
  type TokenWeights,
} from './ops/residual-greedy.js';
export {
  hasKernel,
  KERNEL_BACKENDS,
  registerCpuKernels,
  registerKernels,
  registerWasmKernels,
  unregisterKernels,
  type KernelBackendName,
} from './register.js';
export { RECOMPUTE_RATIO, RESIDUAL_FLOOR } from './greedy/core.js';
export { assertAllFinite, assertMatrix } from './validate.js';
export { minMaxRelevance, RELEVANCE_EPSILON } from './relevance.js';

// ---- fast path: WebAssembly SIMD kernel on worker threads (src/fast/, assembly/) -------------
export {
  activeFastEngine,
  createFastEngine,
  fastCapabilities,
  getFastEngine,
  registerFastKernels,
  selectPlain,
  unregisterFastKernels,
  type FastCapabilities,
  type FastEngine,
  type FastEngineKind,
  type FastEngineOptions,
  type FastNormalize,
  type FastSelectOptions,
  type FastSelection,
  type FastSelectionStats,
} from './fast/index.js';

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/linalg';
