import { ResPruneError, isResPruneError } from '@resprune/errors';
import { readNpy } from './read.js';
import type { NpyArray, NpyWritable } from './types.js';
import { writeNpy } from './write.js';

function fileError(op: string, path: string, cause: unknown): ResPruneError {
  const code = (cause as { code?: unknown } | null)?.code;
  const reason =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory, not a file'
        : `it cannot be accessed (${String(code ?? cause)})`;
  return new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot open '${path}': ${reason}`, { cause, details: { path } });
}

/**
 * Reads and decodes a `.npy` file from disk (Node only: `node:fs` is imported lazily, so bundles
 * that only use {@link readNpy} and {@link writeNpy} stay browser-safe).
 *
 * @param path - file path
 * @returns the decoded array, as {@link readNpy} returns it
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing, a directory or
 *   unreadable; `E_NPY_FORMAT` or `E_DTYPE` (message prefixed with the path) when the contents are bad
 * @example
 * ```ts
 * const tokens = toFloat32(await readNpyFile('tokens.npy'));
 * ```
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw fileError('readNpyFile', path, cause);
  }
  try {
    return readNpy(bytes);
  } catch (e) {
    if (isResPruneError(e)) throw new ResPruneError(e.code, `${path}: ${e.message}`, { cause: e, details: { path } });
    throw e;
  }
}

/**
 * Encodes an array with {@link writeNpy} and writes it to disk (Node only; `node:fs` is imported
 * lazily).
 *
 * @param path - destination file; its folder must exist
 * @param data - the elements in row-major order (`Float32Array`, `Float64Array`, `Int32Array` or `Uint8Array`)
 * @param shape - dimensions, outermost first
 * @throws {@link @resprune/errors!ResPruneError} as {@link writeNpy} does; `E_FILE_NOT_FOUND` when the folder does
 *   not exist or the file cannot be written
 * @example
 * ```ts
 * await writeNpyFile('tokens.npy', features.tokens, [576, 1280]);
 * ```
 */
export async function writeNpyFile(path: string, data: NpyWritable, shape: readonly number[]): Promise<void> {
  const bytes = writeNpy(data, shape);
  const { writeFile } = await import('node:fs/promises');
  try {
    await writeFile(path, bytes);
  } catch (cause) {
    throw fileError('writeNpyFile', path, cause);
  }
}
