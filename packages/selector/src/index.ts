/**
 * ResPrune visual-token selection exactly as specified (docs/guide/method.md#the-specification), plus a registry so peer
 * methods (random, uniform, DivPrune, CDPruner, DART, MMTok, …) plug in behind the same interface.
 *
 * Inputs may be TensorFlow.js tensors, `{ data, shape }` matrices or `number[][]`; bad inputs,
 * budgets and options throw a {@link @resprune/errors!ResPruneError} with a stable code.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import { select } from '@resprune/selector';
 *
 * const visual = [[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]];
 * const { kept, energy } = select(visual, { keep: 3, text: [[0, 1, 0]] });
 * console.log(kept, energy);
 * ```
 * @packageDocumentation
 */

export { resolveBudget, type BudgetOptions, type ResolvedBudget } from './budget.js';
export { type MatrixData, type MatrixInput } from './input.js';
export { COMMON_OPTIONS, DEFAULTS, NORMALIZE_MODES, type MethodOptions, type Normalize, type SelectOptions } from './options.js';
export {
  CDPRUNER_RELEVANCE_MODES,
  cdprunerMethod,
  dartMethod,
  divpruneMethod,
  gridIndices,
  MAX_PAIRWISE_TOKENS,
  mmtokMethod,
  mulberry32,
  PEER_METHODS,
  randomMethod,
  stridedIndices,
  uniformMethod,
  type CdprunerOptions,
  type CdprunerRelevance,
  type DartOptions,
  type GridLayout,
  type MmtokOptions,
  type RandomOptions,
  type UniformOptions,
} from './methods/index.js';
export { MethodRegistry, type MethodInput, type MethodOutput, type SelectionMethod } from './registry.js';
export { computeRelevance, RELEVANCE_EPSILON, relevanceFromCosine } from './relevance.js';
export { relevanceWeights, respruneMethod } from './resprune.js';
export { methods, select, selectWith, type SelectionResult } from './select.js';

/** Package name, for diagnostics. */
export const PACKAGE_NAME = '@resprune/selector';
/**
 * Re-exported from `@resprune/linalg`: `await registerFastKernels()` once at startup and `select()`
 * runs on the WebAssembly SIMD engine (see the package README, "Fast path").
 */
export { registerFastKernels, unregisterFastKernels } from '@resprune/linalg';
