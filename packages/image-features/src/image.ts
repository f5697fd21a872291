import { ResPruneError } from '@resprune/errors';

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

/**
 * Encoded image bytes as a `Blob` or `File` (the browser's, or Node's global `Blob`): anything with
 * `arrayBuffer()`. Declared structurally so the types need no DOM library.
 */
export interface BlobLike {
  /** Size in bytes. */
  readonly size: number;
  /** MIME type, or `''` when unknown. */
  readonly type: string;
  /** The bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * What {@link decodeImage} accepts: a file path (Node) or URL (browser), the encoded bytes, or a
 * `Blob` / `File`.
 */
export type ImageSource = string | Uint8Array | ArrayBuffer | BlobLike;

/**
 * Default pixel limit of {@link decodeImage} and `readImageHeader`: 25 megapixels (e.g. 6000×4000 or
 * 5000×5000). Decoding and MobileNetV2 feature extraction on the full image cost about 30 bytes per
 * pixel (measured: `resprune image` peaks at 0.66 GB on a 6.25 MP photo and 1.22 GB on a 25 MP one),
 * so the limit keeps a run near 1.2 GB; a 16383×16383 PNG of 800 KB would ask for 11 GB.
 *
 * @example
 * ```ts
 * await decodeImage('huge.png', { maxPixels: 4 * DEFAULT_MAX_PIXELS });
 * ```
 */
export const DEFAULT_MAX_PIXELS = 25_000_000;

/**
 * Default file-size limit of {@link decodeImage} for a path: 256 MiB.
 *
 * @example
 * ```ts
 * await decodeImage('scan.tif', { maxBytes: 2 * DEFAULT_MAX_IMAGE_BYTES });
 * ```
 */
export const DEFAULT_MAX_IMAGE_BYTES = 256 << 20;

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /**
   * Scale the image down (keeping its aspect ratio) so its longer side is at most this many pixels.
   * Never upscales. Default: no limit.
   */
  readonly maxSide?: number;
  /**
   * Refuse an image of more pixels (width × height, read from the header before decoding) with `E_LIMIT`.
   * Default {@link DEFAULT_MAX_PIXELS}.
   */
  readonly maxPixels?: number;
  /** Node: refuse a file larger than this many bytes with `E_LIMIT` before reading it. Default {@link DEFAULT_MAX_IMAGE_BYTES}. */
  readonly maxBytes?: number;
  /** Node: cancels reading the file (`E_ABORTED`). */
  readonly signal?: AbortSignal;
}

/**
 * Checks a `maxPixels` option and returns it (or the default).
 * @internal
 */
export function checkMaxPixels(op: string, maxPixels: number | undefined): number {
  const v = maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(typeof v === 'number' && v >= 1)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: maxPixels must be a number >= 1, got ${String(v)}`);
  }
  return v;
}

/**
 * Throws `E_LIMIT` when `width × height` exceeds `maxPixels`.
 * @internal
 */
export function checkPixelCount(op: string, label: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ResPruneError(
      'E_LIMIT',
      `${op}: ${label} is ${width}×${height} = ${width * height} pixels, above the limit of ${maxPixels}; ` +
        'pass { maxPixels } (CLI: --max-pixels N) to raise it',
      { details: { width, height, maxPixels } },
    );
  }
}

/**
 * Checks that a value is a well-formed {@link RgbImage}.
 *
 * @param op - the calling operation, for the message
 * @param image - the value to check
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when it is not an object with a
 *   `Uint8Array` of `width * height * 3` bytes; `E_IMAGE_SIZE` when the width or height is not a
 *   positive integer
 * @example
 * ```ts
 * assertRgbImage('myOp', { width: 1, height: 1, data: new Uint8Array(3) }); // passes
 * ```
 */
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

/** A short description of a value's type, for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/** Whether a value is a Blob or File (structurally). */
export function isBlobLike(value: unknown): value is BlobLike {
  return value !== null && typeof value === 'object' && typeof (value as BlobLike).arrayBuffer === 'function' && typeof (value as BlobLike).size === 'number';
}

/** Checks `maxSide` and returns it (undefined when not set). */
export function checkMaxSide(op: string, maxSide: number | undefined): number | undefined {
  if (maxSide !== undefined && (!Number.isInteger(maxSide) || maxSide <= 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: maxSide must be a positive integer, got ${maxSide}`);
  }
  return maxSide;
}

/** The size that fits `width × height` inside `maxSide` (aspect ratio kept, never upscaled, at least 1 px). */
export function fitInside(width: number, height: number, maxSide: number | undefined): { width: number; height: number } {
  if (maxSide === undefined || Math.max(width, height) <= maxSide) return { width, height };
  const scale = maxSide / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Drops the alpha channel of RGBA pixels (already composited onto an opaque background). */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return rgb;
}

/** Whether a value is meant as a decoded image rather than a source to decode (anything but a string, bytes or a Blob). */
export function isRgbImage(value: RgbImage | ImageSource): value is RgbImage {
  return typeof value !== 'string' && !(value instanceof Uint8Array) && !(value instanceof ArrayBuffer) && !isBlobLike(value);
}
