/**
 * Reads and writes NumPy `.npy` files as typed arrays, with typed errors. No TensorFlow.js
 * dependency; {@link readNpy}, {@link writeNpy} and the converters work in browsers, while
 * {@link readNpyFile} and {@link writeNpyFile} need Node (they import `node:fs` lazily).
 *
 * @example
 * ```ts
 * import { readNpy, toFloat32, writeNpy } from '@resprune/npy';
 * const bytes = writeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const a = readNpy(bytes);
 * console.log(a.dtype, a.shape, toFloat32(a)); // 'f4' [2, 3] Float32Array(6)
 * ```
 * @packageDocumentation
 */

export { decodeFloat16 } from './float16.js';
export { DEFAULT_MAX_NPY_BYTES, readNpyFile, writeNpyFile, type ReadNpyFileOptions, type WriteNpyFileOptions } from './file.js';
export { readNpy, toFloat32, toFloat64 } from './read.js';
export {
  NPY_DTYPES,
  type NpyArray,
  type NpyArrayOf,
  type NpyData,
  type NpyDataTypes,
  type NpyDtype,
  type NpyVersion,
  type NpyWritable,
} from './types.js';
export { writeNpy } from './write.js';
