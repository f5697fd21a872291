/**
 * The element types this package reads, by their NumPy type code without the byte-order
 * character (`'<f4'` in a header is `'f4'` here).
 *
 * | code | NumPy | typed array in {@link NpyArray.data} |
 * |---|---|---|
 * | `b1` | `bool` | `Uint8Array` (0 or 1) |
 * | `i1` / `u1` | `int8` / `uint8` | `Int8Array` / `Uint8Array` |
 * | `i2` / `u2` | `int16` / `uint16` | `Int16Array` / `Uint16Array` |
 * | `i4` / `u4` | `int32` / `uint32` | `Int32Array` / `Uint32Array` |
 * | `i8` / `u8` | `int64` / `uint64` | `BigInt64Array` / `BigUint64Array` |
 * | `f2` | `float16` | `Uint16Array` of raw IEEE half bits (convert with {@link toFloat32}) |
 * | `f4` / `f8` | `float32` / `float64` | `Float32Array` / `Float64Array` |
 */
export type NpyDtype = 'b1' | 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8' | 'u8' | 'f2' | 'f4' | 'f8';

/** Every {@link NpyDtype}, in a fixed order (used in error messages). */
export const NPY_DTYPES: readonly NpyDtype[] = ['b1', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f2', 'f4', 'f8'];

/** The typed array that holds the elements of each {@link NpyDtype}. */
export interface NpyDataTypes {
  /** `bool`: one byte per element, 0 or 1. */
  b1: Uint8Array;
  /** `int8`. */
  i1: Int8Array;
  /** `uint8`. */
  u1: Uint8Array;
  /** `int16`. */
  i2: Int16Array;
  /** `uint16`. */
  u2: Uint16Array;
  /** `int32`. */
  i4: Int32Array;
  /** `uint32`. */
  u4: Uint32Array;
  /** `int64`. */
  i8: BigInt64Array;
  /** `uint64`. */
  u8: BigUint64Array;
  /** `float16`, as raw IEEE 754 half-precision bit patterns. */
  f2: Uint16Array;
  /** `float32`. */
  f4: Float32Array;
  /** `float64`. */
  f8: Float64Array;
}

/** Any typed array that {@link readNpy} can return. */
export type NpyData = NpyDataTypes[NpyDtype];

/** The .npy format versions this package reads (it writes `'1.0'`, or `'2.0'` for huge headers). */
export type NpyVersion = '1.0' | '2.0' | '3.0';

/** A decoded array whose element type is `D`. */
export interface NpyArrayOf<D extends NpyDtype> {
  /** Element type, without the byte-order character. */
  readonly dtype: D;
  /** Dimensions, outermost first; `[]` for a 0-d (scalar) array. */
  readonly shape: number[];
  /**
   * The elements in **C (row-major) order**, always in the host's byte order, in a fresh buffer
   * that does not alias the input bytes. Length = product of `shape` (1 for a scalar).
   */
  readonly data: NpyDataTypes[D];
  /**
   * Whether the file stored the array in Fortran (column-major) order. Such files are transposed
   * on read, so `data` is row-major either way; this flag only reports the file's layout.
   */
  readonly fortranOrder: boolean;
  /** Format version of the file that was read. */
  readonly version: NpyVersion;
}

/**
 * A decoded .npy array: a union over {@link NpyDtype}, so checking `dtype` narrows `data`.
 *
 * @example
 * ```ts
 * const a = readNpy(bytes);
 * if (a.dtype === 'f4') a.data; // Float32Array
 * ```
 */
export type NpyArray = { [D in NpyDtype]: NpyArrayOf<D> }[NpyDtype];

/** Typed arrays that {@link writeNpy} accepts, and the NumPy type each is written as. */
export type NpyWritable = Float32Array | Float64Array | Int32Array | Uint8Array;
