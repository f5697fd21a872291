/**
 * Bounded, safe file input and output for Node, shared by every ResPrune.js reader and writer
 * (`.npy`, safetensors, images, checkpoint configs, tokenizers, the CLI):
 *
 * - {@link readRegularFile} / {@link readRegularFileSync} read only a regular file, only up to a
 *   byte limit, and never more than its size: a FIFO, `/dev/zero` or a directory is refused
 *   (`E_FILE_NOT_FOUND`) without being opened, so nothing blocks or grows without end.
 * - {@link openRegularFileSync} opens one for piecewise reads; {@link checkRegularFile} only checks.
 * - {@link writeFilesAtomic} / {@link writeFilesAtomicSync} write a list of outputs all or none
 *   (temporary files in the same folder, then renames), with `E_WRITE` naming the cause;
 *   {@link stageFiles} splits it in two (stage, then commit or discard) and {@link checkOutputPath}
 *   validates a destination before any work.
 *
 * @example
 * ```ts
 * import { readRegularFile, writeFilesAtomic } from '@resprune/node-files';
 * const bytes = await readRegularFile('in.npy', { maxBytes: 1 << 30 });
 * await writeFilesAtomic([{ path: 'out.npy', data: bytes }]);
 * ```
 * @packageDocumentation
 */

export {
  DEFAULT_MAX_FILE_BYTES,
  checkRegularFile,
  openRegularFileSync,
  readRegularFile,
  readRegularFileSync,
  type OpenRegularFile,
  type RegularFileOptions,
} from './read.js';
export {
  checkOutputPath,
  stageFiles,
  writeFilesAtomic,
  writeFilesAtomicSync,
  type OutputFile,
  type StagedFiles,
  type WriteFilesOptions,
} from './write.js';
