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

/**
 * Default pixel limit of {@link decodeImage} and {@link readImageHeader}: 25 megapixels (e.g.
 * 6000×4000 or 5000×5000). Decoding and MobileNetV2 feature extraction on the full image cost
 * about 30 bytes per pixel (measured: `resprune image` peaks at 0.66 GB on a 6.25 MP photo and
 * 1.22 GB on a 25 MP one), so the limit keeps a run near 1.2 GB; a 16383×16383 PNG of 800 KB
 * would ask for 11 GB.
 */
export const DEFAULT_MAX_PIXELS = 25_000_000;

/** Default file-size limit of {@link decodeImage}: 256 MiB. */
export const DEFAULT_MAX_IMAGE_BYTES = 256 << 20;

/** Options of {@link decodeImage} and {@link readImageHeader}. */
export interface DecodeImageOptions {
  /** Refuse an image of more pixels (width × height, read from the header before decoding) with `E_LIMIT`. Default {@link DEFAULT_MAX_PIXELS}. */
  readonly maxPixels?: number;
  /** Refuse a file larger than this many bytes with `E_LIMIT` before reading it. Default {@link DEFAULT_MAX_IMAGE_BYTES}. */
  readonly maxBytes?: number;
  /** Cancels reading the file (`E_ABORTED`). */
  readonly signal?: AbortSignal;
}

/** What an image's header says, from {@link readImageHeader}. */
export interface ImageHeader {
  /** Width in pixels, as stored (before EXIF rotation). */
  readonly width: number;
  /** Height in pixels, as stored. */
  readonly height: number;
  /** The format sharp detected, e.g. `'jpeg'`, `'png'`, `'webp'`. */
  readonly format: string;
}

/** Reads a path through the shared bounded reader (regular files only, never blocks on a FIFO). */
async function readImageBytes(op: string, path: string, options: DecodeImageOptions): Promise<Uint8Array> {
  const { readRegularFile } = await import('@resprune/node-files');
  return readRegularFile(path, {
    op,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES,
    raise: 'pass { maxBytes } to raise the limit',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

function checkMaxPixels(op: string, maxPixels: number): number {
  if (!(typeof maxPixels === 'number' && maxPixels >= 1)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: maxPixels must be a number >= 1, got ${String(maxPixels)}`);
  }
  return maxPixels;
}

/** Reads the header of encoded bytes with sharp and checks the pixel limit; nothing is decoded. */
async function headerOf(op: string, bytes: Uint8Array, label: string, maxPixels: number): Promise<ImageHeader> {
  const sharp = await loadSharp(op);
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is not a readable image (${reason.trim()})`, { cause });
  }
  const { width, height, format } = meta;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! <= 0 || height! <= 0) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} has no valid width and height in its header`);
  }
  if (width! * height! > maxPixels) {
    throw new ResPruneError(
      'E_LIMIT',
      `${op}: ${label} is ${width}×${height} = ${width! * height!} pixels, above the limit of ${maxPixels}; ` +
        'pass { maxPixels } (CLI: --max-pixels N) to raise it',
      { details: { width, height, maxPixels } },
    );
  }
  return { width: width!, height: height!, format: String(format) };
}

/**
 * Reads an image's size from its header, without decoding the pixels, and checks it against a
 * pixel limit. Use it to validate a request before slow work starts. Node only (sharp).
 *
 * @param input - a file path (read only if it is a regular file within `maxBytes`), or encoded bytes
 * @param options - `maxPixels` (default {@link DEFAULT_MAX_PIXELS}), `maxBytes`, `signal`
 * @returns width, height (as stored, before EXIF rotation) and format
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path is missing or not
 *   a regular file; `E_LIMIT` above `maxPixels` or `maxBytes`; `E_IMAGE_DECODE` when it is not an image
 * @example
 * ```ts
 * const { width, height } = await readImageHeader('photo.jpg', { maxPixels: 50_000_000 });
 * ```
 */
export async function readImageHeader(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<ImageHeader> {
  const op = 'readImageHeader';
  const maxPixels = checkMaxPixels(op, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  const bytes = typeof input === 'string' ? await readImageBytes(op, input, options) : input;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path or non-empty encoded image bytes`);
  }
  return headerOf(op, bytes, typeof input === 'string' ? `'${input}'` : 'the given bytes', maxPixels);
}

/**
 * Decodes a JPEG or PNG (or any other format sharp reads: WebP, GIF, TIFF, AVIF, SVG) into 8-bit
 * RGB. EXIF orientation is applied, grey and CMYK images are converted to sRGB, and transparent
 * pixels are flattened onto white. Node only (uses sharp, imported on first call).
 *
 * The image's size is read from its header first: an image of more than `maxPixels` pixels is
 * refused before any pixel is decoded, and a path is read only if it is a regular file (a FIFO or
 * device is refused without being opened) of at most `maxBytes`.
 *
 * @param input - a file path, or the encoded file bytes
 * @param options - `maxPixels` (default {@link DEFAULT_MAX_PIXELS}), `maxBytes` (default {@link DEFAULT_MAX_IMAGE_BYTES}), `signal`
 * @returns the pixels, `[height, width, 3]`
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path does not exist or
 *   is not a regular file; `E_LIMIT` above `maxPixels` or `maxBytes`; `E_IMAGE_DECODE` when the bytes
 *   are empty, not an image, truncated or corrupt
 * @example
 * ```ts
 * const img = await decodeImage('photos/dog.jpg');
 * console.log(img.width, img.height, img.data.length); // 768 576 1327104
 * ```
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const op = 'decodeImage';
  const label = typeof input === 'string' ? `'${input}'` : 'the given bytes';
  const maxPixels = checkMaxPixels(op, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    bytes = await readImageBytes(op, input, options);
    if (bytes.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is empty`, { details: { path: input } });
  } else if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the image bytes are empty`);
    bytes = input;
  } else {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path or a Uint8Array of encoded image bytes, got ${describe(input)}`);
  }
  await headerOf(op, bytes, label, maxPixels);
  const sharp = await loadSharp(op);
  try {
    const { data, info } = await sharp(bytes, { failOn: 'warning', limitInputPixels: Math.min(Math.floor(maxPixels), 0x3fffffff) })
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
