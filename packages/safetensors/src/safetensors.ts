import { closeSync, readSync } from 'node:fs';
import { ResPruneError } from '@resprune/errors';
import { openRegularFileSync, writeFilesAtomicSync } from '@resprune/node-files';

/** Element types a safetensors header may name (the full list of the format). */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
] as const;

/** One element type of the safetensors format. */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** Element types this reader converts to float32: the ones LVLM checkpoints are published in. */
export const LOADABLE_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

const BYTES: Record<SafetensorsDtype, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Upper bound on the JSON header (the reference implementation uses the same 100 MB limit). */
const MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor lies in a safetensors file. */
export interface SafetensorsEntry {
  /** Tensor name as stored, e.g. `language_model.model.embed_tokens.weight`. */
  readonly name: string;
  /** Element type as stored. */
  readonly dtype: SafetensorsDtype;
  /** Shape as stored (row-major). */
  readonly shape: readonly number[];
  /** Absolute byte offset of the first element in the file. */
  readonly byteOffset: number;
  /** Byte length of the data. */
  readonly byteLength: number;
}

/** The validated header of one safetensors file. */
export interface SafetensorsHeader {
  /** The file it was read from. */
  readonly file: string;
  /** File size in bytes. */
  readonly fileSize: number;
  /** Tensors in file order of their data. */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>>;
}

function corrupt(file: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): ResPruneError {
  return new ResPruneError('E_FILE_CORRUPT', `${file}: ${message}`, {
    details: { file, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

function malformed(file: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): ResPruneError {
  return new ResPruneError('E_SAFETENSORS', `${file}: ${message}`, {
    details: { file, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Opens only a regular file, without blocking (a FIFO or device is refused before it is opened),
 * through the shared reader of `@resprune/node-files`.
 */
function openFile(file: string): { fd: number; size: number } {
  try {
    return openRegularFileSync(file, { op: 'safetensors' });
  } catch (e) {
    const err = e as ResPruneError;
    throw new ResPruneError(err.code, err.message, { cause: err, details: { ...err.details, file } });
  }
}

function parseHeaderFromFd(fd: number, file: string, fileSize: number): SafetensorsHeader {
  if (fileSize < 8) throw corrupt(file, `truncated: ${fileSize} bytes, a safetensors file has at least an 8-byte header length.`, { fileSize });
  const lenBuf = readExactly(fd, 8, 0);
  const headerLen64 = lenBuf.readBigUInt64LE(0);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) {
    throw malformed(file, `header length ${headerLen64} exceeds the ${MAX_HEADER_BYTES}-byte limit; not a safetensors file?`, { headerLength: Number(headerLen64) });
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > fileSize) {
    throw corrupt(file, `truncated: header declares ${headerLen} bytes but the file has ${fileSize - 8} after the length field.`, { headerLength: headerLen, fileSize });
  }
  const text = readExactly(fd, headerLen, 8).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw malformed(file, 'header is not valid JSON.', {}, cause);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw malformed(file, 'header must be a JSON object.');
  const dataStart = 8 + headerLen;
  const dataSize = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw malformed(file, '__metadata__ must be an object of strings.');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object') throw malformed(file, `tensor "${name}": entry must be an object.`, { tensor: name });
    if (typeof e.dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(e.dtype)) {
      throw malformed(file, `tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}.`, { tensor: name });
    }
    if (!Array.isArray(e.shape) || !e.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw malformed(file, `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}.`, { tensor: name });
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      throw malformed(file, `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}.`, { tensor: name });
    }
    const dtype = e.dtype as SafetensorsDtype;
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * BYTES[dtype]) {
      throw malformed(file, `tensor "${name}": ${dtype}${JSON.stringify(shape)} needs ${numel * BYTES[dtype]} bytes, data_offsets span ${end - begin}.`, { tensor: name });
    }
    if (end > dataSize) {
      throw corrupt(file, `truncated: tensor "${name}" ends at byte ${end} of the data section, which has only ${dataSize} bytes.`, { tensor: name, fileSize });
    }
    entries.push({ name, dtype, shape, byteOffset: dataStart + begin, byteLength: end - begin });
  }
  entries.sort((a, b) => a.byteOffset - b.byteOffset);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    if (cur.byteOffset < prev.byteOffset + prev.byteLength) {
      throw malformed(file, `tensors "${prev.name}" and "${cur.name}" overlap.`, { tensor: cur.name });
    }
  }
  return { file, fileSize, tensors: new Map(entries.map((e) => [e.name, e])), metadata };
}

/**
 * Reads and validates the header of a safetensors file: the JSON is parsed, every dtype, shape and
 * `data_offsets` pair is checked, the byte span must match `prod(shape) × bytes(dtype)`, lie inside the
 * file and overlap no other tensor. The tensor data is not read.
 *
 * @param file - path of a `.safetensors` file
 * @returns the tensor table and metadata
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the file does not exist or is not a regular file (a
 *   directory, FIFO or device is refused without being opened), `E_FILE_CORRUPT` when it is truncated, `E_SAFETENSORS` when
 *   the header is malformed; `details.file` (and `details.tensor`) name the culprit
 * @example
 * ```ts
 * const h = readSafetensorsHeader('model-00001-of-00002.safetensors');
 * console.log([...h.tensors.keys()]);
 * ```
 */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const { fd, size } = openFile(file);
  try {
    return parseHeaderFromFd(fd, file, size);
  } finally {
    closeSync(fd);
  }
}

function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let f16Table: Float32Array | undefined;

/**
 * Converts raw little-endian tensor bytes of a loadable dtype to float32.
 *
 * @param bytes - the tensor's bytes, `prod(shape) × bytes(dtype)` long
 * @param dtype - `F32`, `F16` or `BF16`
 * @returns a new Float32Array with one element per value
 * @throws {@link @resprune/errors!ResPruneError} `E_DTYPE` for any other dtype
 * @example
 * ```ts
 * const f = decodeToFloat32(new Uint8Array([0x00, 0x3c]), 'F16'); // Float32Array [1]
 * ```
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.byteLength / BYTES[dtype];
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F16': {
      if (f16Table === undefined) {
        f16Table = new Float32Array(65536);
        for (let b = 0; b < 65536; b++) f16Table[b] = f16ToF32(b);
      }
      const t = f16Table;
      for (let i = 0; i < n; i++) out[i] = t[view.getUint16(i * 2, true)]!;
      return out;
    }
    case 'BF16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    default:
      throw new ResPruneError('E_DTYPE', `safetensors: cannot convert ${dtype} to float32; supported: ${LOADABLE_DTYPES.join(', ')}.`);
  }
}

/**
 * Encodes float32 values as little-endian bytes of `F32`, `F16` (round to nearest even) or `BF16`
 * (round to nearest even). Used to write checkpoints in the published layouts.
 *
 * @param values - the values
 * @param dtype - target element type
 * @returns the encoded bytes
 * @throws {@link @resprune/errors!ResPruneError} `E_DTYPE` for any other dtype
 * @example
 * ```ts
 * encodeFromFloat32(new Float32Array([1]), 'BF16'); // Uint8Array [0x80, 0x3f]
 * ```
 */
export function encodeFromFloat32(values: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') {
    const out = new Uint8Array(n * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i]!, true);
    return out;
  }
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    f[0] = values[i]!;
    const x = u[0]!;
    let h: number;
    if (dtype === 'BF16') {
      h = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    } else if (dtype === 'F16') {
      h = float32BitsToF16(x);
    } else {
      throw new ResPruneError('E_DTYPE', `safetensors: cannot write ${dtype}; supported: ${LOADABLE_DTYPES.join(', ')}.`);
    }
    view.setUint16(i * 2, h & 0xffff, true);
  }
  return out;
}

function float32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** Options of {@link SafetensorsReader.readFloat32}. */
export interface ReadTensorOptions {
  /**
   * Check that every value is finite: a NaN or ±Infinity throws `E_NON_FINITE` naming the tensor,
   * the file and the first bad element (a checkpoint with broken weights would otherwise run and
   * produce garbage). Costs one pass over the values. Default false.
   */
  readonly requireFinite?: boolean;
}

/**
 * An open safetensors file whose tensors are read one at a time (so peak memory is one tensor, not the
 * file). Close it with {@link SafetensorsReader.close}.
 */
export interface SafetensorsReader {
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /**
   * Reads one tensor and converts it to float32.
   * @throws {@link @resprune/errors!ResPruneError} `E_TENSOR_MISSING` for an unknown name, `E_DTYPE` for a non-float dtype,
   *   `E_FILE_CORRUPT` when the read comes up short, `E_NON_FINITE` with `requireFinite` when a value is NaN or ±Infinity
   */
  readFloat32(name: string, options?: ReadTensorOptions): Float32Array;
  /** Closes the file descriptor. Idempotent. */
  close(): void;
}

/**
 * Opens a safetensors file, validates its header and returns a reader that loads tensors on demand.
 *
 * @param file - path of the `.safetensors` file
 * @returns a reader; call `close()` when done
 * @throws {@link @resprune/errors!ResPruneError} as {@link readSafetensorsHeader}
 * @example
 * ```ts
 * const r = openSafetensors('model.safetensors');
 * try { const w = r.readFloat32('multi_modal_projector.linear_1.bias'); } finally { r.close(); }
 * ```
 */
export function openSafetensors(file: string): SafetensorsReader {
  const { fd, size } = openFile(file);
  let header: SafetensorsHeader;
  try {
    header = parseHeaderFromFd(fd, file, size);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    header,
    readFloat32(name: string, options: ReadTensorOptions = {}): Float32Array {
      const entry = header.tensors.get(name);
      if (entry === undefined) {
        throw new ResPruneError('E_TENSOR_MISSING', `${file}: no tensor "${name}".`, { details: { file, tensor: name } });
      }
      if (!LOADABLE_DTYPES.includes(entry.dtype)) {
        throw new ResPruneError('E_DTYPE', `${file}: tensor "${name}" is ${entry.dtype}; supported: ${LOADABLE_DTYPES.join(', ')}.`, {
          details: { file, tensor: name },
        });
      }
      if (!open) throw new ResPruneError('E_INTERNAL', `${file}: reader used after close().`);
      const bytes = readExactly(fd, entry.byteLength, entry.byteOffset);
      if (bytes.byteLength !== entry.byteLength) {
        throw corrupt(file, `truncated while reading tensor "${name}".`, { tensor: name });
      }
      const values = decodeToFloat32(bytes, entry.dtype);
      if (options.requireFinite === true) {
        for (let i = 0; i < values.length; i++) {
          if (!Number.isFinite(values[i]!)) {
            throw new ResPruneError(
              'E_NON_FINITE',
              `${file}: tensor "${name}" holds ${values[i]} at element ${i} (of ${values.length}); the checkpoint's weights are broken.`,
              { details: { file, tensor: name, index: i } },
            );
          }
        }
      }
      return values;
    },
    close(): void {
      if (open) {
        open = false;
        closeSync(fd);
      }
    },
  };
}

/** One tensor to write with {@link writeSafetensors}. */
export interface SafetensorsTensorSpec {
  /** Shape (row-major). */
  readonly shape: readonly number[];
  /** Values, `prod(shape)` of them. */
  readonly data: Float32Array;
  /** Stored element type (default `F32`). */
  readonly dtype?: SafetensorsDtype;
}

/**
 * Writes tensors to a safetensors file, in the byte layout of the reference implementation (header padded
 * with spaces to a multiple of 8, data in the order given, no gaps). The file is written atomically (a
 * temporary file in the same folder, then a rename), so a failed write leaves no truncated file.
 *
 * @param file - output path
 * @param tensors - name → tensor, written in insertion order
 * @param metadata - optional `__metadata__` (e.g. `{ format: 'pt' }`)
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when data length and shape disagree, `E_DTYPE` for a non-float dtype,
 *   `E_WRITE` when the file cannot be written (missing folder, no permission, disk full)
 * @example
 * ```ts
 * writeSafetensors('w.safetensors', new Map([['w', { shape: [2], data: new Float32Array([1, 2]), dtype: 'F16' }]]));
 * ```
 */
export function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, SafetensorsTensorSpec>,
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `writeSafetensors: "${name}" has shape [${t.shape.join(', ')}] (${numel} values) but ${t.data.length} values.`);
    }
    const dtype = t.dtype ?? 'F32';
    const bytes = encodeFromFloat32(t.data, dtype);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFilesAtomicSync([{ path: file, data: Buffer.concat([len, Buffer.from(json, 'utf8'), ...chunks]) }], { op: 'writeSafetensors' });
}
