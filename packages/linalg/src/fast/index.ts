/**
 * The fast selection path: the ResPrune greedy as a WebAssembly SIMD kernel on worker threads
 * sharing memory, with a single-thread and a plain-JavaScript fallback. Plain typed arrays in,
 * plain typed arrays out; the tfjs kernels of this package call it for the `cpu` and `wasm`
 * backends.
 * @module
 */
export { createFastEngine, fastCapabilities, getFastEngine, type FastCapabilities } from './engine.js';
export { selectPlain } from './plain.js';
export type {
  FastEngine,
  FastEngineKind,
  FastEngineOptions,
  FastNormalize,
  FastSelectOptions,
  FastSelection,
  FastSelectionStats,
} from './types.js';
export { activeFastEngine, registerFastKernels, unregisterFastKernels } from './kernel.js';
