import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ResPruneError } from '@resprune/errors';

/** One file for {@link writeFilesAtomic} to write. */
export interface OutputFile {
  /** Destination path; its folder must exist, and the path must be absent or a regular file. */
  readonly path: string;
  /** The whole contents (a string is written as UTF-8). */
  readonly data: Uint8Array | string;
}

/** Options of {@link writeFilesAtomic}. */
export interface WriteFilesOptions {
  /** Prefix of error messages, e.g. `'writeNpyFile'` or `'--overlay'`. Default `'writeFiles'`. */
  readonly op?: string;
  /**
   * Checked before each file is written; when it is aborted before the outputs are renamed into
   * place, the temporary files are removed and `E_ABORTED` is thrown (nothing is left on disk).
   */
  readonly signal?: AbortSignal;
}

function reasonOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'its folder does not exist';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device (disk full)';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'EFBIG':
      return 'the file is too large for this file system';
    case 'ENAMETOOLONG':
      return 'the file name is too long';
    default:
      return `it cannot be written (${String(code ?? (cause instanceof Error ? cause.message : cause))})`;
  }
}

function writeError(op: string, path: string, reason: string, cause?: unknown): ResPruneError {
  const errno = (cause as { code?: unknown } | null)?.code;
  return new ResPruneError('E_WRITE', `${op}: cannot write '${path}': ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path, ...(typeof errno === 'string' ? { errno } : {}) },
  });
}

/** Checks a destination before anything is written: the folder exists, the path is not a directory or device. */
function checkDestination(op: string, path: string): void {
  if (typeof path !== 'string' || path === '') throw writeError(op, String(path), 'the path is empty');
  let folder;
  try {
    folder = statSync(dirname(path));
  } catch (cause) {
    throw writeError(op, path, reasonOf(cause), cause);
  }
  if (!folder.isDirectory()) throw writeError(op, path, `${dirname(path)} is not a folder`);
  let target;
  try {
    target = statSync(path);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOENT') return;
    throw writeError(op, path, reasonOf(cause), cause);
  }
  if (target.isDirectory()) throw writeError(op, path, 'it is a directory, not a file');
  if (!target.isFile()) throw writeError(op, path, 'it exists and is not a regular file (a device, FIFO or socket)');
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function writeTemp(op: string, path: string, temp: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o666);
  } catch (cause) {
    // The folder was checked just before: ENOENT now means it accepts no new files (/proc, /sys).
    const enoent = (cause as { code?: unknown }).code === 'ENOENT';
    throw writeError(op, path, enoent ? 'no file can be created in its folder' : reasonOf(cause), cause);
  }
  try {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
  } catch (cause) {
    throw writeError(op, path, reasonOf(cause), cause);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes several files as one unit: all of them, or none. Each file is first written completely
 * to a temporary file in its own folder (then flushed to disk); only when every temporary file is
 * complete are they renamed over their destinations. If anything fails (a missing folder, a
 * directory or device given as the file, no permission, a full disk) or `signal` is aborted, the
 * temporary files and any output already renamed into place are removed, so a failed command
 * never leaves a truncated or partial set of outputs. A single file is a list of one.
 *
 * @param outputs - the files to write; paths must be distinct
 * @param options - `op` for messages, `signal` to cancel
 * @throws {@link @resprune/errors!ResPruneError} `E_WRITE` naming the path and the reason
 *   (`details.errno` holds the system error code); `E_ABORTED` when `signal` was aborted
 * @example
 * ```ts
 * await writeFilesAtomic([
 *   { path: 'out/kept.png', data: png },
 *   { path: 'out/tokens.npy', data: npy },
 * ]);
 * ```
 */
export async function writeFilesAtomic(outputs: readonly OutputFile[], options: WriteFilesOptions = {}): Promise<void> {
  writeFilesAtomicSync(outputs, options);
  await Promise.resolve();
}

/**
 * The synchronous twin of {@link writeFilesAtomic} (same guarantees), for synchronous writers.
 *
 * @param outputs - the files to write; paths must be distinct
 * @param options - `op` for messages, `signal` to cancel
 * @throws {@link @resprune/errors!ResPruneError} as {@link writeFilesAtomic}
 * @example
 * ```ts
 * writeFilesAtomicSync([{ path: 'config.json', data: JSON.stringify(config) }]);
 * ```
 */
export function writeFilesAtomicSync(outputs: readonly OutputFile[], options: WriteFilesOptions = {}): void {
  stageFiles(outputs, options).commit();
}

/** Outputs written to temporary files by {@link stageFiles}, not yet in place. */
export interface StagedFiles {
  /** The destination paths, in order. */
  readonly paths: readonly string[];
  /**
   * Renames every temporary file over its destination. If one rename fails, the temporary files and
   * the outputs already renamed are removed and `E_WRITE` is thrown. Once only.
   */
  commit(): void;
  /** Removes the temporary files; nothing reaches the destinations. Idempotent; a no-op after `commit`. */
  discard(): void;
}

/**
 * The first half of {@link writeFilesAtomic}: checks every destination and writes every file to a
 * temporary file in its folder, without touching the destinations. Call `commit()` once everything
 * else the command produces (its standard output, say) has succeeded, or `discard()` when it has
 * not, so that a failed command leaves none of its outputs.
 *
 * @param outputs - the files to write; paths must be distinct
 * @param options - `op` for messages, `signal` to cancel (checked before each file and before commit)
 * @returns the staged files
 * @throws {@link @resprune/errors!ResPruneError} `E_WRITE` as {@link writeFilesAtomic} (nothing is
 *   left on disk); `E_ABORTED` when `signal` is aborted
 * @example
 * ```ts
 * const staged = stageFiles([{ path: 'kept.png', data: png }]);
 * try { await printResult(); staged.commit(); } catch (e) { staged.discard(); throw e; }
 * ```
 */
export function stageFiles(outputs: readonly OutputFile[], options: WriteFilesOptions = {}): StagedFiles {
  const op = options.op ?? 'writeFiles';
  if (!Array.isArray(outputs)) throw new ResPruneError('E_INVALID_OPTION', `${op}: outputs must be an array of { path, data }`);
  const seen = new Set<string>();
  for (const o of outputs) {
    if (o === null || typeof o !== 'object' || !(typeof o.data === 'string' || o.data instanceof Uint8Array)) {
      throw new ResPruneError('E_INVALID_OPTION', `${op}: every output must be { path, data: Uint8Array | string }`);
    }
    checkDestination(op, o.path);
    const key = resolve(o.path);
    if (seen.has(key)) throw writeError(op, o.path, 'the same file is named twice as an output');
    seen.add(key);
  }
  const temps: string[] = [];
  const cancelled = (): void => {
    if (options.signal?.aborted === true) {
      throw new ResPruneError('E_ABORTED', `${op}: cancelled; no output was written`, { cause: options.signal.reason });
    }
  };
  const discardTemps = (): void => {
    for (const t of temps) removeQuietly(t);
  };
  try {
    for (const o of outputs) {
      cancelled();
      const temp = tempPathFor(o.path);
      temps.push(temp);
      writeTemp(op, o.path, temp, o.data);
    }
  } catch (e) {
    discardTemps();
    throw e;
  }
  let state: 'staged' | 'committed' | 'discarded' = 'staged';
  return {
    paths: outputs.map((o) => o.path),
    commit(): void {
      if (state !== 'staged') throw new ResPruneError('E_INTERNAL', `${op}: staged files were already ${state}`);
      const renamed: string[] = [];
      try {
        cancelled();
        outputs.forEach((o, k) => {
          try {
            renameSync(temps[k]!, o.path);
          } catch (cause) {
            throw writeError(op, o.path, reasonOf(cause), cause);
          }
          renamed.push(o.path);
        });
        state = 'committed';
      } catch (e) {
        state = 'discarded';
        discardTemps();
        for (const r of renamed) removeQuietly(r);
        throw e;
      }
    },
    discard(): void {
      if (state !== 'staged') return;
      state = 'discarded';
      discardTemps();
    },
  };
}

/**
 * Checks, before any work, that a path can be an output: its folder exists, it is absent or a
 * regular file (not a directory or device), and a file can be created beside it (a temporary file
 * is created and removed at once, which catches missing permission, a read-only file system and
 * places such as /proc). Lets a command fail in a second instead of after minutes of work.
 *
 * @param path - the destination
 * @param op - prefix of error messages
 * @throws {@link @resprune/errors!ResPruneError} `E_WRITE` naming the reason
 * @example
 * ```ts
 * checkOutputPath('out/logits.npy', '--dump-logits');
 * ```
 */
export function checkOutputPath(path: string, op = 'checkOutputPath'): void {
  checkDestination(op, path);
  const probe = tempPathFor(path);
  writeTemp(op, path, probe, new Uint8Array(0));
  removeQuietly(probe);
}
