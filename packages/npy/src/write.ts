import { ResPruneError } from '@resprune/errors';
import { formatPreamble } from './header.js';
import type { NpyWritable } from './types.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function descrOf(data: unknown): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint8Array) return '|u1';
  const got = data === null ? 'null' : typeof data === 'object' ? (data.constructor?.name ?? 'object') : typeof data;
  throw new ResPruneError(
    'E_DTYPE',
    `writeNpy: data must be a Float32Array ('<f4'), Float64Array ('<f8'), Int32Array ('<i4') or Uint8Array ('|u1'), got ${got}`,
  );
}

/**
 * Encodes a typed array as a NumPy `.npy` file (format 1.0, C order, little-endian), byte for byte
 * what `numpy.save` writes for the same array. Works in browsers and Node.
 *
 * @param data - the elements in row-major order: `Float32Array` → `'<f4'`, `Float64Array` →
 *   `'<f8'`, `Int32Array` → `'<i4'`, `Uint8Array` → `'|u1'`
 * @param shape - dimensions, outermost first; `[]` writes a 0-d array holding one element
 * @returns the file contents
 * @throws {@link @resprune/errors!ResPruneError} `E_DTYPE` for any other kind of data; `E_SHAPE_MISMATCH` when a
 *   dimension is not a non-negative integer or the shape's product is not `data.length`
 * @example
 * ```ts
 * const bytes = writeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * readNpy(bytes).shape; // [2, 3]
 * ```
 */
export function writeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const descr = descrOf(data);
  if (!Array.isArray(shape)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `writeNpy: shape must be an array of dimensions, got ${typeof shape}`);
  }
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `writeNpy: every dimension must be a non-negative integer, got [${shape.join(', ')}]`);
    }
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `writeNpy: shape [${shape.join(', ')}] holds ${count} elements but data has ${data.length}`,
    );
  }
  const preamble = formatPreamble(descr, shape);
  const out = new Uint8Array(preamble.length + data.byteLength);
  out.set(preamble);
  const body = out.subarray(preamble.length);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    const size = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < body.length; i += size) body.subarray(i, i + size).reverse();
  }
  return out;
}
