import { ResPruneError } from '@resprune/errors';

/**
 * A decoded 8-bit RGB image: row-major, three bytes per pixel, no padding. Pixel (x, y) channel c
 * is `data[3 * (y * width + x) + c]`. This is what `np.array(pil_image)` holds for a mode `"RGB"`
 * image (shape `[height, width, 3]`, dtype uint8).
 *
 * @example
 * ```ts
 * const red: RgbImage = { width: 1, height: 1, data: new Uint8Array([255, 0, 0]) };
 * ```
 */
export interface RgbImage {
  /** Width in pixels (a positive integer). */
  readonly width: number;
  /** Height in pixels (a positive integer). */
  readonly height: number;
  /** `[height, width, 3]` RGB bytes, length `width * height * 3`. */
  readonly data: Uint8Array;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  return (value as object).constructor?.name ?? 'object';
}

/** Checks a pixel size: positive safe integers. */
export function assertSize(op: string, width: unknown, height: unknown): void {
  if (
    typeof width !== 'number' ||
    typeof height !== 'number' ||
    !Number.isSafeInteger(width) ||
    !Number.isSafeInteger(height) ||
    width <= 0 ||
    height <= 0
  ) {
    throw new ResPruneError(
      'E_IMAGE_SIZE',
      `${op}: width and height must be positive integers, got ${describe(width)}×${describe(height)}`,
      { details: { width, height } },
    );
  }
}

/**
 * Checks that a value is a well-formed {@link RgbImage}: positive integer sides and exactly
 * `width * height * 3` bytes in a `Uint8Array`.
 *
 * @param op - the calling operation, for the message
 * @param image - the value to check
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when it is not an image object or
 *   the byte count is wrong; `E_IMAGE_SIZE` for zero, negative, fractional or non-finite sides
 * @example
 * ```ts
 * assertRgbImage('myOp', { width: 2, height: 1, data: new Uint8Array(6) }); // passes
 * ```
 */
export function assertRgbImage(op: string, image: RgbImage): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: expected an RgbImage { width, height, data: Uint8Array }, got ${describe(image)}`);
  }
  assertSize(op, image.width, image.height);
  if (image.data.length !== image.width * image.height * 3) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${op}: a ${image.width}×${image.height} RGB image needs ${image.width * image.height * 3} bytes, got ${image.data.length}`,
      { details: { width: image.width, height: image.height, bytes: image.data.length } },
    );
  }
}
