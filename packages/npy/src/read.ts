import { ResPruneError } from '@resprune/errors';
import { decodeFloat16 } from './float16.js';
import { parseHeader } from './header.js';
import { NPY_DTYPES, type NpyArray, type NpyData, type NpyDtype, type NpyVersion } from './types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ITEM_SIZE: Record<NpyDtype, number> = {
  b1: 1, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8, f2: 2, f4: 4, f8: 8,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function npyError(message: string): ResPruneError {
  return new ResPruneError('E_NPY_FORMAT', `readNpy: ${message}`);
}

/** Splits a `descr` such as `'<f4'` into byte order and type code, rejecting what is unsupported. */
function parseDescr(descr: string): { dtype: NpyDtype; littleEndian: boolean } {
  const supported = `supported: ${NPY_DTYPES.join(', ')} with byte order '<', '>' or '|'`;
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(.*)$/.exec(descr);
  if (m === null) throw new ResPruneError('E_DTYPE', `readNpy: dtype '${descr}' is not supported (${supported})`);
  const [, order = '', kind = '', size = '', rest = ''] = m;
  const code = `${kind}${size}`;
  const what: Record<string, string> = {
    O: 'object arrays (pickled Python objects) cannot be read without Python',
    U: 'unicode string arrays are not supported',
    S: 'byte string arrays are not supported',
    a: 'byte string arrays are not supported',
    V: 'void (raw or structured) arrays are not supported',
    c: 'complex arrays are not supported; save the real and imaginary parts separately',
    M: 'datetime64 arrays are not supported',
    m: 'timedelta64 arrays are not supported',
  };
  const reason = what[kind];
  if (reason !== undefined) throw new ResPruneError('E_DTYPE', `readNpy: dtype '${descr}': ${reason} (${supported})`);
  if (rest !== '' || !(NPY_DTYPES as readonly string[]).includes(code)) {
    throw new ResPruneError('E_DTYPE', `readNpy: dtype '${descr}' is not supported (${supported})`);
  }
  const dtype = code as NpyDtype;
  const itemSize = ITEM_SIZE[dtype];
  if (itemSize === 1) return { dtype, littleEndian: true };
  if (order === '<') return { dtype, littleEndian: true };
  if (order === '>') return { dtype, littleEndian: false };
  throw new ResPruneError(
    'E_DTYPE',
    `readNpy: dtype '${descr}' has no explicit byte order; a ${itemSize}-byte type needs '<' (little-endian) or '>' (big-endian)`,
  );
}

function swapBytes(bytes: Uint8Array, itemSize: number): void {
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

function view(dtype: NpyDtype, buffer: ArrayBuffer): NpyData {
  switch (dtype) {
    case 'b1':
    case 'u1':
      return new Uint8Array(buffer);
    case 'i1':
      return new Int8Array(buffer);
    case 'i2':
      return new Int16Array(buffer);
    case 'u2':
    case 'f2':
      return new Uint16Array(buffer);
    case 'i4':
      return new Int32Array(buffer);
    case 'u4':
      return new Uint32Array(buffer);
    case 'i8':
      return new BigInt64Array(buffer);
    case 'u8':
      return new BigUint64Array(buffer);
    case 'f4':
      return new Float32Array(buffer);
    case 'f8':
      return new Float64Array(buffer);
  }
}

/** Reorders column-major elements into row-major order. */
function fortranToC<T extends NpyData>(src: T, shape: readonly number[]): T {
  const n = src.length;
  const out = new (src.constructor as new (length: number) => T)(n);
  const ndim = shape.length;
  // Fortran strides (in elements): first axis fastest.
  const strides = new Array<number>(ndim);
  let s = 1;
  for (let k = 0; k < ndim; k++) {
    strides[k] = s;
    s *= shape[k]!;
  }
  const index = new Array<number>(ndim).fill(0);
  let offset = 0;
  const dst = out as unknown as { [i: number]: number | bigint };
  const from = src as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    dst[i] = from[offset]!;
    // Advance the C-order odometer (last axis fastest) and keep the Fortran offset in step.
    for (let k = ndim - 1; k >= 0; k--) {
      index[k]!++;
      offset += strides[k]!;
      if (index[k]! < shape[k]!) break;
      offset -= strides[k]! * shape[k]!;
      index[k] = 0;
    }
  }
  return out;
}

/**
 * Decodes a NumPy `.npy` file held in memory. Works in browsers and Node (no file system use).
 *
 * Reads format versions 1.0, 2.0 and 3.0; little-endian, big-endian (converted to the host's byte
 * order) and byte-order-free (`'|'`) element types; C-order and Fortran-order arrays (Fortran order
 * is transposed so that `data` is always row-major; `fortranOrder` reports the file's layout).
 * The returned data is a copy and never aliases `bytes`.
 *
 * @param bytes - the whole file
 * @returns dtype, shape, row-major data, the file's layout flag and its format version
 * @throws {@link @resprune/errors!ResPruneError} `E_NPY_FORMAT` for a bad magic string, unsupported
 *   version, malformed header, truncated data or trailing bytes; `E_DTYPE` for object, string,
 *   complex, structured or other unsupported element types
 * @example
 * ```ts
 * const a = readNpy(bytes);
 * console.log(a.dtype, a.shape); // 'f4' [576, 4096]
 * const x = toFloat32(a);        // Float32Array, whatever the float or int dtype was
 * ```
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (!(bytes instanceof Uint8Array)) {
    throw npyError(`expected the file contents as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw npyError(
      bytes.length < 10
        ? `not a .npy file: only ${bytes.length} bytes (a .npy file starts with a 10-byte preamble)`
        : 'not a .npy file: the magic string \\x93NUMPY is missing',
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw npyError(`unsupported format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const version = `${major}.0` as NpyVersion;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw npyError('truncated: the header length field is incomplete');
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw npyError(`truncated: the header claims ${headerLength} bytes but only ${bytes.length - headerStart} follow`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch (cause) {
      throw new ResPruneError('E_NPY_FORMAT', 'readNpy: bad header: a version 3.0 header must be valid UTF-8', { cause });
    }
  } else {
    text = '';
    for (const b of headerBytes) text += String.fromCharCode(b); // latin-1
  }
  const header = parseHeader(text);
  const { dtype, littleEndian } = parseDescr(header.descr);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const itemSize = ITEM_SIZE[dtype];
  const dataBytes = count * itemSize;
  if (!Number.isSafeInteger(dataBytes)) throw npyError(`bad header: shape (${header.shape.join(', ')}) is too large`);
  const available = bytes.length - dataStart;
  const what = `shape [${header.shape.join(', ')}] of '${header.descr}' needs ${dataBytes} data bytes`;
  if (available < dataBytes) throw npyError(`truncated: ${what}, but only ${available} follow the header`);
  if (available > dataBytes) throw npyError(`${what}, but ${available - dataBytes} extra bytes follow the data`);

  // A fresh, 0-aligned buffer (Node's Buffer#slice would alias the input instead of copying).
  const copy = new Uint8Array(dataBytes);
  copy.set(bytes.subarray(dataStart, dataStart + dataBytes));
  if (itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, itemSize);
  let data = view(dtype, copy.buffer);
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape);
  return { dtype, shape: header.shape, data, fortranOrder: header.fortranOrder, version } as NpyArray;
}

function convert<T extends Float32Array | Float64Array>(a: NpyArray, Out: new (n: number) => T): T {
  const out = new Out(a.data.length);
  if (a.dtype === 'f2') {
    out.set(decodeFloat16(a.data));
  } else if (a.dtype === 'i8' || a.dtype === 'u8') {
    const src = a.data;
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
  } else {
    out.set(a.data);
  }
  return out;
}

/**
 * The elements of a decoded array as float32: decodes `f2` half-precision bits exactly, narrows
 * `f8`, converts integers and booleans. A `f4` array's own `data` is returned without a copy.
 *
 * @param array - a result of {@link readNpy}
 * @returns the elements in row-major order, `[product(shape)]`
 * @example
 * ```ts
 * const tokens = toFloat32(readNpy(bytes)); // works for '<f2', '<f4', '<f8', '<i4', ...
 * ```
 */
export function toFloat32(array: NpyArray): Float32Array {
  if (array.dtype === 'f4') return array.data;
  return convert(array, Float32Array);
}

/**
 * The elements of a decoded array as float64: decodes `f2` half-precision bits exactly, widens
 * `f4`, converts integers (int64 values beyond ±2^53 are rounded) and booleans. A `f8` array's own
 * `data` is returned without a copy.
 *
 * @param array - a result of {@link readNpy}
 * @returns the elements in row-major order, `[product(shape)]`
 * @example
 * ```ts
 * const x = toFloat64(readNpy(bytes));
 * ```
 */
export function toFloat64(array: NpyArray): Float64Array {
  if (array.dtype === 'f8') return array.data;
  return convert(array, Float64Array);
}
