/**
 * Reads and writes safetensors files, the weight format of Hugging Face checkpoints. Headers are
 * validated completely (dtypes, shapes, offsets inside the file, no overlaps) before any tensor is
 * read; tensors are read one at a time and converted to float32 (`F32`, `F16`, `BF16`). Every
 * failure is a `ResPruneError` whose message and `details` name the file and the tensor. Node only
 * (it reads files with `node:fs`); no TensorFlow.js dependency.
 *
 * @example
 * ```ts
 * import { openSafetensors } from '@resprune/safetensors';
 * const r = openSafetensors('model.safetensors');
 * try {
 *   console.log([...r.header.tensors.keys()]);
 *   const w = r.readFloat32('multi_modal_projector.linear_1.bias');
 * } finally {
 *   r.close();
 * }
 * ```
 * @packageDocumentation
 */

export {
  SAFETENSORS_DTYPES,
  LOADABLE_DTYPES,
  readSafetensorsHeader,
  openSafetensors,
  writeSafetensors,
  decodeToFloat32,
  encodeFromFloat32,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsReader,
  type SafetensorsTensorSpec,
  type ReadTensorOptions,
} from './safetensors.js';
