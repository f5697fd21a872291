import { ResPruneError, isResPruneError } from '@resprune/errors';
import { readNpy } from './read.js';
import type { NpyArray, NpyWritable } from './types.js';
import { writeNpy } from './write.js';

/** Default byte limit of {@link readNpyFile}: 1 GiB (the file is held in memory, then copied once as it is decoded). */
export const DEFAULT_MAX_NPY_BYTES = 1 << 30;

/** Options of {@link readNpyFile}. */
export interface ReadNpyFileOptions {
  /** Refuse a file larger than this many bytes with `E_LIMIT`, before reading it. Default {@link DEFAULT_MAX_NPY_BYTES}. */
  readonly maxBytes?: number;
  /** Cancels the read (`E_ABORTED`). */
  readonly signal?: AbortSignal;
}

/** Options of {@link writeNpyFile}. */
export interface WriteNpyFileOptions {
  /** Cancels the write before the file is renamed into place (`E_ABORTED`; nothing is left on disk). */
  readonly signal?: AbortSignal;
}

/**
 * Reads and decodes a `.npy` file from disk (Node only: `node:fs` is imported lazily, so bundles
 * that only use {@link readNpy} and {@link writeNpy} stay browser-safe).
 *
 * Only a regular file is read, and only up to `maxBytes`: a FIFO, a device such as `/dev/zero` or a
 * directory is refused before it is opened (see `@resprune/node-files`).
 *
 * @param path - file path
 * @param options - `maxBytes` (default {@link DEFAULT_MAX_NPY_BYTES}) and `signal`
 * @returns the decoded array, as {@link readNpy} returns it
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing, unreadable or not a
 *   regular file (a directory, FIFO or device); `E_LIMIT` when it is larger than `maxBytes`; `E_NPY_FORMAT` or
 *   `E_DTYPE` (message prefixed with the path) when the contents are bad; `E_ABORTED` when `signal` is aborted
 * @example
 * ```ts
 * const tokens = toFloat32(await readNpyFile('tokens.npy'));
 * ```
 */
export async function readNpyFile(path: string, options: ReadNpyFileOptions = {}): Promise<NpyArray> {
  const { readRegularFile } = await import('@resprune/node-files');
  const bytes = await readRegularFile(path, {
    op: 'readNpyFile',
    maxBytes: options.maxBytes ?? DEFAULT_MAX_NPY_BYTES,
    raise: 'pass readNpyFile(path, { maxBytes }) to raise the limit',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    return readNpy(bytes);
  } catch (e) {
    if (isResPruneError(e)) throw new ResPruneError(e.code, `${path}: ${e.message}`, { cause: e, details: { path } });
    throw e;
  }
}

/**
 * Encodes an array with {@link writeNpy} and writes it to disk atomically (Node only; imported
 * lazily): the bytes go to a temporary file in the same folder, which is then renamed over `path`,
 * so a failed write never leaves a truncated file.
 *
 * @param path - destination file; its folder must exist
 * @param data - the elements in row-major order (`Float32Array`, `Float64Array`, `Int32Array` or `Uint8Array`)
 * @param shape - dimensions, outermost first
 * @param options - `signal` to cancel
 * @throws {@link @resprune/errors!ResPruneError} as {@link writeNpy} does; `E_WRITE` when the folder does not
 *   exist, `path` is a directory or device, or the file cannot be written (no permission, disk full);
 *   `E_ABORTED` when `signal` is aborted
 * @example
 * ```ts
 * await writeNpyFile('tokens.npy', features.tokens, [576, 1280]);
 * ```
 */
export async function writeNpyFile(path: string, data: NpyWritable, shape: readonly number[], options: WriteNpyFileOptions = {}): Promise<void> {
  const bytes = writeNpy(data, shape);
  const { writeFilesAtomic } = await import('@resprune/node-files');
  await writeFilesAtomic([{ path, data: bytes }], { op: 'writeNpyFile', ...(options.signal === undefined ? {} : { signal: options.signal }) });
}
