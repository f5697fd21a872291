import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ResPruneError } from '@resprune/errors';

/** Default byte limit of {@link readRegularFile}: 1 GiB. */
export const DEFAULT_MAX_FILE_BYTES = 1 << 30;

/** Options of {@link readRegularFile}, {@link readRegularFileSync} and {@link openRegularFileSync}. */
export interface RegularFileOptions {
  /**
   * Refuse a file larger than this many bytes with `E_LIMIT` (checked on the size `stat` reports,
   * before anything is read). Default {@link DEFAULT_MAX_FILE_BYTES} for the readers; no limit for
   * {@link openRegularFileSync}. `Infinity` switches the limit off.
   */
  readonly maxBytes?: number;
  /** Prefix of error messages, e.g. `'readNpyFile'` or `'--visual'`. Default `'readRegularFile'`. */
  readonly op?: string;
  /** How the user raises the limit, appended to the `E_LIMIT` message (e.g. `'pass { maxBytes }'`). */
  readonly raise?: string;
  /** Checked before the file is opened and between reads; an aborted signal throws `E_ABORTED`. */
  readonly signal?: AbortSignal;
}

/** An open regular file, from {@link openRegularFileSync}. */
export interface OpenRegularFile {
  /** The file descriptor (read only); close it with `fs.closeSync`. */
  readonly fd: number;
  /** The size in bytes when it was opened. */
  readonly size: number;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openError(op: string, path: string, cause: unknown): ResPruneError {
  const code = (cause as { code?: unknown } | null)?.code;
  const reason =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many symbolic links'
          : `it cannot be accessed (${String(code ?? cause)})`;
  return new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot open '${path}': ${reason}`, { cause, details: { path } });
}

function aborted(op: string, path: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new ResPruneError('E_ABORTED', `${op}: reading '${path}' was cancelled`, { cause: signal.reason, details: { path } });
  }
}

/** Checks what `stat` reported: a regular file within the byte limit. */
function checkStats(s: Stats, path: string, op: string, maxBytes: number, raise: string | undefined): void {
  if (!s.isFile()) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot open '${path}': it is ${kindOf(s)}, not a regular file`, {
      details: { path },
    });
  }
  if (s.size > maxBytes) {
    throw new ResPruneError(
      'E_LIMIT',
      `${op}: '${path}' is ${s.size} bytes, above the limit of ${maxBytes} bytes${raise === undefined ? '' : `; ${raise}`}`,
      { details: { path, size: s.size, maxBytes } },
    );
  }
}

function checkLimit(op: string, maxBytes: number): number {
  if (!(maxBytes >= 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: maxBytes must be a non-negative number of bytes, got ${maxBytes}`);
  }
  return maxBytes;
}

// O_NONBLOCK: if the path was swapped for a FIFO between stat and open, open must not wait for a writer.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** After open: the descriptor must still be the regular file that stat saw. */
function sameFile(before: Stats, after: Stats, path: string, op: string): void {
  if (!after.isFile() || after.dev !== before.dev || after.ino !== before.ino) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: '${path}' changed while it was being opened; not a regular file now`, {
      details: { path },
    });
  }
}

/**
 * Opens a file for reading only if it is a regular file, without ever blocking: the path is
 * `stat`ed first (a FIFO, device, socket or directory is refused without being opened), then opened
 * non-blocking and checked again on the descriptor. Used for files read piece by piece, such as
 * safetensors weights.
 *
 * @param path - file path (symbolic links are followed)
 * @param options - `maxBytes` (default: no limit), `op` and `raise` for messages
 * @returns the descriptor and the size; close the descriptor with `fs.closeSync`
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing,
 *   unreadable or not a regular file; `E_LIMIT` when it is larger than `maxBytes`
 * @example
 * ```ts
 * import { closeSync, readSync } from 'node:fs';
 * const { fd, size } = openRegularFileSync('model.safetensors');
 * try { readSync(fd, Buffer.alloc(8), 0, 8, 0); } finally { closeSync(fd); }
 * ```
 */
export function openRegularFileSync(path: string, options: RegularFileOptions = {}): OpenRegularFile {
  const op = options.op ?? 'openRegularFile';
  const maxBytes = checkLimit(op, options.maxBytes ?? Infinity);
  aborted(op, path, options.signal);
  let before: Stats;
  try {
    before = statSync(path);
  } catch (cause) {
    throw openError(op, path, cause);
  }
  checkStats(before, path, op, maxBytes, options.raise);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (cause) {
    throw openError(op, path, cause);
  }
  try {
    const after = fstatSync(fd);
    sameFile(before, after, path, op);
    checkStats(after, path, op, maxBytes, options.raise);
    return { fd, size: after.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Reads a whole file into memory, safely: only a regular file (a FIFO, `/dev/zero`, a socket or a
 * directory is refused before it is opened, so nothing blocks or grows without end), only up to
 * `maxBytes` (checked on the size before reading), and never more than the size `stat` reported.
 *
 * @param path - file path (symbolic links are followed)
 * @param options - `maxBytes` (default {@link DEFAULT_MAX_FILE_BYTES}), `op` and `raise` for messages, `signal`
 * @returns the file's bytes (shorter than the reported size only if the file shrank meanwhile)
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing,
 *   unreadable or not a regular file; `E_LIMIT` when it is larger than `maxBytes`; `E_ABORTED`
 *   when `signal` is aborted
 * @example
 * ```ts
 * const bytes = await readRegularFile('config.json', { maxBytes: 64 << 20, op: 'config' });
 * const config = JSON.parse(new TextDecoder().decode(bytes));
 * ```
 */
export async function readRegularFile(path: string, options: RegularFileOptions = {}): Promise<Uint8Array> {
  const op = options.op ?? 'readRegularFile';
  const maxBytes = checkLimit(op, options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
  aborted(op, path, options.signal);
  let before: Stats;
  try {
    before = await stat(path);
  } catch (cause) {
    throw openError(op, path, cause);
  }
  checkStats(before, path, op, maxBytes, options.raise);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (cause) {
    throw openError(op, path, cause);
  }
  try {
    const after = await handle.stat();
    sameFile(before, after, path, op);
    checkStats(after, path, op, maxBytes, options.raise);
    const out = new Uint8Array(after.size);
    let done = 0;
    const chunk = 16 << 20;
    while (done < out.length) {
      aborted(op, path, options.signal);
      const { bytesRead } = await handle.read(out, done, Math.min(chunk, out.length - done), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === out.length ? out : out.slice(0, done);
  } catch (cause) {
    if (cause instanceof ResPruneError) throw cause;
    throw openError(op, path, cause);
  } finally {
    await handle.close();
  }
}

/**
 * The synchronous twin of {@link readRegularFile}, for readers that are synchronous (checkpoint
 * configs, tokenizers).
 *
 * @param path - file path (symbolic links are followed)
 * @param options - `maxBytes` (default {@link DEFAULT_MAX_FILE_BYTES}), `op` and `raise` for messages
 * @returns the file's bytes
 * @throws {@link @resprune/errors!ResPruneError} as {@link readRegularFile}
 * @example
 * ```ts
 * const text = new TextDecoder().decode(readRegularFileSync('tokenizer.json', { maxBytes: 64 << 20 }));
 * ```
 */
export function readRegularFileSync(path: string, options: RegularFileOptions = {}): Uint8Array {
  const op = options.op ?? 'readRegularFile';
  const maxBytes = checkLimit(op, options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
  const { fd, size } = openRegularFileSync(path, { ...options, op, maxBytes });
  try {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, out, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return done === size ? out : out.slice(0, done);
  } catch (cause) {
    throw openError(op, path, cause);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks, without opening it, that a path is a regular file within a byte limit (for validating a
 * request before any slow work starts).
 *
 * @param path - file path (symbolic links are followed)
 * @param options - `maxBytes` (default: no limit), `op` and `raise` for messages
 * @returns the file's size in bytes
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing or
 *   not a regular file; `E_LIMIT` when it is larger than `maxBytes`
 * @example
 * ```ts
 * checkRegularFile('photo.jpg', { op: '--image' });
 * ```
 */
export function checkRegularFile(path: string, options: RegularFileOptions = {}): number {
  const op = options.op ?? 'checkRegularFile';
  const maxBytes = checkLimit(op, options.maxBytes ?? Infinity);
  let s: Stats;
  try {
    s = statSync(path);
  } catch (cause) {
    throw openError(op, path, cause);
  }
  checkStats(s, path, op, maxBytes, options.raise);
  return s.size;
}
