import { ResPruneError, isResPruneError } from '@resprune/errors';

/**
 * A decoded image: 8-bit RGB pixels, row-major, three bytes per pixel, no padding.
 * Pixel (x, y) occupies `data[3 * (y * width + x) + channel]`.
 */
export interface RgbImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `[height, width, 3]` RGB bytes, length `width * height * 3`. */
  readonly data: Uint8Array;
}

type SharpFactory = (typeof import('sharp'))['default'];

let sharpModule: Promise<SharpFactory> | undefined;

/** sharp is Node-only; it is imported on first use so the tensor code stays browser-safe. */
export async function loadSharp(op: string): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => m.default);
  try {
    return await sharpModule;
  } catch (cause) {
    sharpModule = undefined;
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: the 'sharp' image library could not be loaded (Node only)`, { cause });
  }
}

/** Checks that a value is a well-formed {@link RgbImage}. */
export function assertRgbImage(op: string, image: RgbImage): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: expected an RgbImage { width, height, data: Uint8Array }, got ${describe(image)}`);
  }
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ResPruneError('E_IMAGE_SIZE', `${op}: image width and height must be positive integers, got ${width}×${height}`);
  }
  if (image.data.length !== width * height * 3) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${op}: a ${width}×${height} RGB image needs ${width * height * 3} bytes, got ${image.data.length}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

async function checkFile(op: string, path: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: '${path}' is not a file`, { details: { path } });
  } catch (cause) {
    if (isResPruneError(cause)) throw cause;
    throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot open '${path}': no such file`, { cause, details: { path } });
  }
}

/**
 * Decodes a JPEG or PNG (or any other format sharp reads: WebP, GIF, TIFF, AVIF, SVG) into 8-bit
 * RGB. EXIF orientation is applied, grey and CMYK images are converted to sRGB, and transparent
 * pixels are flattened onto white. Node only (uses sharp, imported on first call).
 *
 * @param input - a file path, or the encoded file bytes
 * @returns the pixels, `[height, width, 3]`
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path does not exist or
 *   is not a file; `E_IMAGE_DECODE` when the bytes are empty, not an image, truncated or corrupt
 * @example
 * ```ts
 * const img = await decodeImage('photos/dog.jpg');
 * console.log(img.width, img.height, img.data.length); // 768 576 1327104
 * ```
 */
export async function decodeImage(input: string | Uint8Array): Promise<RgbImage> {
  const op = 'decodeImage';
  const label = typeof input === 'string' ? `'${input}'` : 'the given bytes';
  if (typeof input === 'string') {
    await checkFile(op, input);
  } else if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the image bytes are empty`);
  } else {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path or a Uint8Array of encoded image bytes, got ${describe(input)}`);
  }
  const sharp = await loadSharp(op);
  try {
    const { data, info } = await sharp(input, { failOn: 'warning' })
      .rotate() // apply EXIF orientation
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} decoded to ${info.channels} channels instead of 3`);
    }
    // Copy out of sharp's Buffer so the result owns a plain, 0-offset ArrayBuffer.
    return { width: info.width, height: info.height, data: new Uint8Array(data) };
  } catch (cause) {
    if (isResPruneError(cause)) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is not a readable image (${reason.trim()})`, {
      cause,
      ...(typeof input === 'string' ? { details: { path: input } } : {}),
    });
  }
}
