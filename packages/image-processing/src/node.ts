/**
 * Node-only decoding for `@resprune/image-processing`: {@link decodeRgb} and
 * {@link decodeRgbFile} turn JPEG/PNG/WebP/... bytes into the RGB pixels Hugging Face's
 * `transformers.image_utils.load_image` produces (`ImageOps.exif_transpose`, then PIL's
 * `convert("RGB")`). Uses `sharp` (an optional peer dependency), imported on first call.
 *
 * @example
 * ```ts
 * import { decodeRgbFile } from '@resprune/image-processing/node';
 * import { parseImageProcessorConfig, preprocessImage } from '@resprune/image-processing';
 *
 * const img = await decodeRgbFile('photo.jpg');
 * const out = preprocessImage(img, parseImageProcessorConfig(preprocessorJson));
 * ```
 * @module node
 */
import { readRegularFile } from '@resprune/node-files';
import { isResPruneError, ResPruneError } from '@resprune/errors';
import { convertToRgb } from './convert.js';
import type { RgbImage } from './image.js';

export type { RgbImage } from './image.js';

/**
 * Options of {@link decodeRgb}.
 *
 * @example
 * ```ts
 * const opts: DecodeOptions = { exifTranspose: false }; // as Image.open(path) passed straight to a processor
 * ```
 */
export interface DecodeOptions {
  /**
   * Apply the EXIF `Orientation` tag (default true), as `load_image` (`ImageOps.exif_transpose`)
   * does for paths, URLs and base64 strings given to HF pipelines and processors. Set false to
   * match a `PIL.Image.open(path)` object handed directly to a processor, which is not rotated.
   */
  readonly exifTranspose?: boolean;
  /**
   * Refuse an image of more pixels (width × height, read from the header before decoding) with `E_LIMIT`.
   * Default {@link DEFAULT_MAX_IMAGE_PIXELS}.
   */
  readonly maxPixels?: number;
  /** {@link decodeRgbFile}: refuse a file larger than this many bytes with `E_LIMIT` before reading it. Default 256 MiB. */
  readonly maxBytes?: number;
  /** {@link decodeRgbFile}: cancels reading the file (`E_ABORTED`). */
  readonly signal?: AbortSignal;
}

/**
 * Default pixel limit of {@link decodeRgb} and {@link decodeRgbFile}: 25 megapixels, the same as
 * `@resprune/image-features`' decoder. A 16383×16383 PNG of a few kilobytes would otherwise ask for 800 MB of RGB
 * bytes and more in the decoder; the processors resize far below this anyway (Qwen's `max_pixels` is 12.8 M at most).
 *
 * @example
 * ```ts
 * await decodeRgbFile('scan.png', { maxPixels: 4 * DEFAULT_MAX_IMAGE_PIXELS });
 * ```
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 25_000_000;

type SharpFactory = (typeof import('sharp'))['default'];
let sharpModule: Promise<SharpFactory> | undefined;

async function loadSharp(op: string): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => m.default);
  try {
    return await sharpModule;
  } catch (cause) {
    sharpModule = undefined;
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: the optional peer dependency 'sharp' could not be loaded; install sharp@^0.35.5 (Node only)`, { cause });
  }
}

/**
 * Decodes encoded image bytes to RGB as HF's `load_image` does: EXIF orientation applied (unless
 * `exifTranspose: false`), then PIL's `convert("RGB")` ({@link convertToRgb}): grey expanded,
 * alpha dropped **without** compositing, palettes expanded. No ICC colour conversion is applied
 * (PIL ignores embedded profiles). 16-bit greyscale is clipped to 255 as PIL's mode `I` → `RGB`
 * conversion does; other 16-bit images keep the high byte.
 *
 * @param bytes - the encoded file (JPEG, PNG, WebP, GIF, TIFF, ...)
 * @param options - {@link DecodeOptions}
 * @returns the pixels
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_DECODE` for empty, corrupt or unsupported
 *   bytes, or when sharp is not installed; `E_LIMIT` when the header claims more than `maxPixels` pixels
 * @example
 * ```ts
 * const img = await decodeRgb(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ```
 */
export async function decodeRgb(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const op = 'decodeRgb';
  if (!(bytes instanceof Uint8Array)) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a Uint8Array of encoded image bytes, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the image bytes are empty`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (!(typeof maxPixels === 'number' && maxPixels >= 1)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: maxPixels must be a number >= 1, got ${String(maxPixels)}`);
  }
  const sharp = await loadSharp(op);
  let header: { width?: number | undefined; height?: number | undefined };
  try {
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.trim() : String(cause);
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: not a readable image (${reason})`, { cause });
  }
  const { width = 0, height = 0 } = header;
  if (width * height > maxPixels) {
    throw new ResPruneError(
      'E_LIMIT',
      `${op}: the image is ${width}×${height} = ${width * height} pixels, above the limit of ${maxPixels}; pass { maxPixels } to raise it`,
      { details: { width, height, maxPixels } },
    );
  }
  try {
    const base = (): ReturnType<SharpFactory> => {
      // keepIccProfile: leave the stored values alone, as PIL does (no transform to sRGB).
      const s = sharp(bytes, { failOn: 'error', autoOrient: options.exifTranspose !== false }).keepIccProfile();
      return s;
    };
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    const grey16 = meta.depth === 'ushort' && meta.channels === 1;
    if (grey16) {
      // PIL opens 16-bit grey as mode I; convert("RGB") clips each value to 0..255.
      const { data, info } = await base().toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const src = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      const out = new Uint8Array(info.width * info.height * 3);
      for (let i = 0; i < info.width * info.height; i++) {
        const v = Math.min(255, src[i * info.channels]!);
        out[i * 3] = v;
        out[i * 3 + 1] = v;
        out[i * 3 + 2] = v;
      }
      return { width: info.width, height: info.height, data: out };
    }
    const { data, info } = await base().raw().toBuffer({ resolveWithObject: true });
    if (meta.space === 'cmyk' || (info.channels as number) > 4 || info.channels < 1) {
      throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${meta.space ?? 'unknown'} images with ${info.channels} channels are not supported; convert to RGB first`);
    }
    return convertToRgb({
      width: info.width,
      height: info.height,
      channels: info.channels as 1 | 2 | 3 | 4,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  } catch (cause) {
    if (isResPruneError(cause)) throw cause;
    const reason = cause instanceof Error ? cause.message.trim() : String(cause);
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: not a readable image (${reason})`, { cause });
  }
}

/**
 * Reads a file and decodes it with {@link decodeRgb}.
 *
 * @param path - the image file
 * @param options - {@link DecodeOptions}
 * @returns the pixels
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path does not exist or
 *   is not a regular file (FIFOs and devices are refused without being opened); `E_LIMIT` above `maxBytes` or
 *   `maxPixels`; `E_IMAGE_DECODE` when it cannot be decoded
 * @example
 * ```ts
 * const img = await decodeRgbFile('assets/photos/dog.jpg'); // 768×576
 * ```
 */
export async function decodeRgbFile(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const op = 'decodeRgbFile';
  // Regular files only (a FIFO or device is refused without being opened), at most maxBytes.
  const bytes = await readRegularFile(path, {
    op,
    maxBytes: options.maxBytes ?? 256 << 20,
    raise: 'pass { maxBytes } to raise the limit',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    return await decodeRgb(bytes, options);
  } catch (cause) {
    if (isResPruneError(cause)) {
      throw new ResPruneError(cause.code, `${op}: '${path}': ${cause.message}`, { cause, details: { path } });
    }
    throw cause;
  }
}
