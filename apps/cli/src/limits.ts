/**
 * The CLI's own resource limits (docs/guide/limits-and-errors.md lists them with every library
 * limit). Each bounds memory or time that a small command line could otherwise make unbounded.
 */
import { parseBoundedInteger } from './io.js';

/** Most `--repeat` runs of `select` (each run is one full selection; timings are kept for all). */
export const MAX_REPEAT = 1000;

/**
 * Most `--max-new-tokens` of `generate`. Each token costs a decode step and grows the KV cache; the
 * pipeline also refuses prompt + new tokens beyond the model's `max_position_embeddings`.
 */
export const MAX_NEW_TOKENS = 4096;

/** Default pixel limit of images (width × height): 25 megapixels, as `@resprune/image-features`. */
export const DEFAULT_MAX_PIXELS = 25_000_000;

/** Highest value `--max-pixels` accepts: 2^30 pixels (a 32768×32768 image; about 45 GB to extract). */
export const MAX_PIXELS_CEILING = 2 ** 30;

/** The parseArgs option that raises (or lowers) the pixel limit of images. */
export const MAX_PIXELS_FLAG = { 'max-pixels': { type: 'string' } } as const;

/** Help line of {@link MAX_PIXELS_FLAG}. */
export const MAX_PIXELS_HELP = `  --max-pixels N        refuse images of more than N pixels (width x height, read from the header
                        before decoding; default ${DEFAULT_MAX_PIXELS}, i.e. 25 MP)`;

/** Reads `--max-pixels`. */
export function maxPixelsFromFlags(values: { 'max-pixels'?: string | undefined }): number {
  return parseBoundedInteger('max-pixels', values['max-pixels'], 1, MAX_PIXELS_CEILING) ?? DEFAULT_MAX_PIXELS;
}

/**
 * Default byte limit of the `.npy` matrices the CLI reads (`--visual`, `--text`): 512 MiB. Reading and
 * selecting costs about 3.2 times the file (measured: a 268 MB [16384, 4096] float32 file peaks at
 * 0.87 GB in `resprune select`), so this keeps a run under about 1.7 GB.
 */
export const DEFAULT_MAX_NPY_BYTES = 512 << 20;

/** The parseArgs option that raises (or lowers) the byte limit of `.npy` inputs. */
export const MAX_NPY_BYTES_FLAG = { 'max-npy-bytes': { type: 'string' } } as const;

/** Help line of {@link MAX_NPY_BYTES_FLAG}. */
export const MAX_NPY_BYTES_HELP = `  --max-npy-bytes N     refuse .npy inputs larger than N bytes (default ${DEFAULT_MAX_NPY_BYTES}, i.e. 512 MiB)`;

/** Reads `--max-npy-bytes`. */
export function maxNpyBytesFromFlags(values: { 'max-npy-bytes'?: string | undefined }): number {
  return parseBoundedInteger('max-npy-bytes', values['max-npy-bytes'], 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_NPY_BYTES;
}
