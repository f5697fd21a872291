/** The Node implementations of decoding and PNG encoding, on sharp (imported on first use). */
import { ResPruneError, isResPruneError } from '@resprune/errors';
import {
  assertRgbImage,
  checkMaxPixels,
  checkMaxSide,
  checkPixelCount,
  DEFAULT_MAX_IMAGE_BYTES,
  describe,
  isBlobLike,
  isRgbImage,
  type DecodeOptions,
  type ImageSource,
  type RgbImage,
} from './image.js';
import { checkOverlayOptions, keptMask, paint, type OverlayOptions, type TokenGrid } from './overlay.js';

type SharpFactory = (typeof import('sharp'))['default'];

let sharpModule: Promise<SharpFactory> | undefined;

async function loadSharp(op: string): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => m.default);
  try {
    return await sharpModule;
  } catch (cause) {
    sharpModule = undefined;
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: the 'sharp' image library could not be loaded`, { cause });
  }
}

/** Reads a path through the shared bounded reader (regular files only, never blocks on a FIFO). */
async function readImageBytes(op: string, path: string, options: DecodeOptions): Promise<Uint8Array> {
  const { readRegularFile } = await import('@resprune/node-files');
  return readRegularFile(path, {
    op,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES,
    raise: 'pass { maxBytes } to raise the limit',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
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
  checkPixelCount(op, label, width!, height!, maxPixels);
  return { width: width!, height: height!, format: String(format) };
}

/**
 * Reads an image's size from its header, without decoding the pixels, and checks it against a pixel limit.
 * Use it to validate a request before slow work starts. Node only (sharp).
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
export async function readImageHeader(input: string | Uint8Array, options: DecodeOptions = {}): Promise<ImageHeader> {
  const op = 'readImageHeader';
  const maxPixels = checkMaxPixels(op, options.maxPixels);
  const bytes = typeof input === 'string' ? await readImageBytes(op, input, options) : input;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path or non-empty encoded image bytes`);
  }
  return headerOf(op, bytes, typeof input === 'string' ? `'${input}'` : 'the given bytes', maxPixels);
}

/**
 * Decodes a JPEG or PNG (or any other format the platform reads) into 8-bit RGB. EXIF orientation
 * is applied, grey and CMYK images are converted to sRGB, and transparent pixels are flattened onto
 * white.
 *
 * In Node (the `node` export condition) it decodes with sharp, imported on first call, and a string
 * is a file path. In browsers (the `browser` condition) it decodes with `createImageBitmap` and a
 * 2D canvas (`OffscreenCanvas` where there is one), and a string is a URL to fetch.
 *
 * @param input - a file path (Node) or URL (browser), the encoded bytes, or a `Blob` / `File`
 * @param options - `maxSide`: scale down so the longer side fits
 * @returns the pixels, `[height, width, 3]`
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` when the path does not exist or
 *   is not a file (or the URL answers 404); `E_IMAGE_DECODE` when the bytes are empty, not an image,
 *   truncated or corrupt; `E_IMAGE_SIZE` for an image with no pixels; `E_INVALID_OPTION` for a bad
 *   `maxSide`
 * @example
 * ```ts
 * const img = await decodeImage('photos/dog.jpg');
 * console.log(img.width, img.height, img.data.length); // 768 576 1327104
 * const small = await decodeImage(file, { maxSide: 1024 }); // a File from an <input>, in a browser
 * ```
 */
export async function decodeImage(input: ImageSource, options: DecodeOptions = {}): Promise<RgbImage> {
  const op = 'decodeImage';
  const maxSide = checkMaxSide(op, options.maxSide);
  const maxPixels = checkMaxPixels(op, options.maxPixels);
  const label = typeof input === 'string' ? `'${input}'` : 'the given bytes';
  let source: Uint8Array;
  if (typeof input === 'string') {
    source = await readImageBytes(op, input, options);
    if (source.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is empty`, { details: { path: input } });
  } else if (input instanceof Uint8Array) {
    source = input;
  } else if (input instanceof ArrayBuffer) {
    source = new Uint8Array(input);
  } else if (isBlobLike(input)) {
    source = new Uint8Array(await input.arrayBuffer());
  } else {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path, a Uint8Array or ArrayBuffer of encoded image bytes, or a Blob; got ${describe(input)}`);
  }
  if (source.length === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the image bytes are empty`);
  await headerOf(op, source, label, maxPixels);
  const sharp = await loadSharp(op);
  try {
    let pipeline = sharp(source, { failOn: 'warning', limitInputPixels: Math.min(Math.floor(maxPixels), 0x3fffffff) })
      .rotate() // apply EXIF orientation
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb');
    if (maxSide !== undefined) pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
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

/**
 * Draws which tokens were kept on top of the image ({@link overlayPixels}) and encodes it as PNG.
 * In Node it resizes and encodes with sharp; in browsers with a 2D canvas.
 *
 * @param image - a decoded image, or anything {@link decodeImage} takes
 * @param kept - kept token indices (`r * cols + c`), any order
 * @param grid - the token grid, e.g. `{ rows: 24, cols: 24 }`
 * @param options - dimming, outline colour and width, maximum side
 * @returns PNG file bytes, the image's size (or smaller with `maxSide`)
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a bad grid or option;
 *   `E_SHAPE_MISMATCH` for a kept index outside the grid or a malformed image; the errors of
 *   {@link decodeImage} for a path, URL, bytes or Blob
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * const png = await renderOverlay(img, selection.kept, { rows: 24, cols: 24 });
 * await writeFile('dog-kept.png', png);
 * ```
 */
export async function renderOverlay(
  image: RgbImage | ImageSource,
  kept: ArrayLike<number>,
  grid: TokenGrid,
  options: OverlayOptions = {},
): Promise<Uint8Array> {
  const mask = keptMask('renderOverlay', kept, grid);
  const opts = checkOverlayOptions('renderOverlay', options);
  let img = isRgbImage(image) ? image : await decodeImage(image);
  assertRgbImage('renderOverlay', img);
  const sharp = await loadSharp('renderOverlay');
  if (opts.maxSide !== undefined && Math.max(img.width, img.height) > opts.maxSide) {
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize({ width: opts.maxSide, height: opts.maxSide, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    img = { width: info.width, height: info.height, data: new Uint8Array(data) };
  }
  const out = paint(img, mask, grid, opts);
  const png = await sharp(out.data, { raw: { width: out.width, height: out.height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png);
}
