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
}

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
 *   bytes, or when sharp is not installed
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
  const sharp = await loadSharp(op);
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
 *   is not a file; `E_IMAGE_DECODE` when it cannot be decoded
 * @example
 * ```ts
 * const img = await decodeRgbFile('../shared/images/dog.jpg'); // 768×576
 * ```
 */
export async function decodeRgbFile(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const op = 'decodeRgbFile';
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot read '${path}' (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause,
      details: { path },
    });
  }
  try {
    return await decodeRgb(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  } catch (cause) {
    if (isResPruneError(cause)) {
      throw new ResPruneError(cause.code, `${op}: '${path}': ${cause.message}`, { cause, details: { path } });
    }
    throw cause;
  }
}
