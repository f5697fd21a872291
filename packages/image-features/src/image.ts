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

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /**
   * Scale the image down (keeping its aspect ratio) so its longer side is at most this many pixels.
   * Never upscales. Default: no limit.
   */
  readonly maxSide?: number;
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
