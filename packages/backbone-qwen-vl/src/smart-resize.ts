import { ResPruneError } from '@resprune/errors';

/**
 * Limits of {@link smartResize}. Defaults are those of transformers' `Qwen2VLImageProcessor` when no
 * `preprocessor_config.json` says otherwise.
 *
 * @example
 * ```ts
 * const limits: ResizeLimits = { factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 1280 };
 * ```
 */
export interface ResizeLimits {
  /** Both sides become multiples of this: patch size × merge size (14 × 2 = 28). */
  readonly factor: number;
  /** Smallest pixel count (default 56·56 = 3136). */
  readonly minPixels: number;
  /** Largest pixel count (default 28·28·1280 = 1 003 520). */
  readonly maxPixels: number;
}

/** transformers' default limits (`Qwen2VLImageProcessor` without a preprocessor config). */
export const DEFAULT_RESIZE_LIMITS: ResizeLimits = { factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 1280 };

/**
 * Python's `round()`: to the nearest integer, ties to even (`round(1.5) = 2`, `round(2.5) = 2`).
 *
 * @param x - a finite number
 * @returns the rounded integer
 * @example
 * ```ts
 * roundHalfEven(2.5); // 2
 * ```
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Qwen2-VL / Qwen2.5-VL `smart_resize`, as transformers computes it: both sides rounded (ties to
 * even) to multiples of `factor`; if the area exceeds `maxPixels`, scale down by
 * β = √(H·W / maxPixels) and floor each side to a multiple of `factor` (at least `factor`); if it is
 * below `minPixels`, scale up by β = √(minPixels / (H·W)) and ceil. The aspect ratio is kept as
 * closely as the grid allows.
 *
 * @param height - original height in pixels
 * @param width - original width in pixels
 * @param limits - factor and pixel bounds
 * @returns the resized `{ height, width }`, multiples of `factor`
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` when the aspect ratio exceeds 200, as
 *   the processor refuses such images
 * @example
 * ```ts
 * smartResize(808, 1100);                                            // { height: 812, width: 1092 }
 * smartResize(1008, 1008, { ...DEFAULT_RESIZE_LIMITS, maxPixels: 12845056 }); // { height: 1008, width: 1008 }
 * ```
 */
export function smartResize(
  height: number,
  width: number,
  limits: ResizeLimits = DEFAULT_RESIZE_LIMITS,
): { readonly height: number; readonly width: number } {
  const { factor, minPixels, maxPixels } = limits;
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new ResPruneError(
      'E_IMAGE_SIZE',
      `image ${width}x${height}: aspect ratio ${(Math.max(height, width) / Math.min(height, width)).toFixed(1)} exceeds 200, which the Qwen-VL processor refuses`,
      { details: { width, height } },
    );
  }
  let h = roundHalfEven(height / factor) * factor;
  let w = roundHalfEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}
