/**
 * LLaVA-NeXT "anyres" geometry, following what Hugging Face transformers computes (the processor's
 * `_get_number_of_features` and the model's `pack_image_features`), written from the formulas.
 */
import type { ImageSize } from '@resprune/backbones';

/**
 * Picks the grid resolution for an image as LLaVA-NeXT does (transformers `select_best_resolution`):
 * for each `[height, width]` pinpoint, scale the image to fit (`scale = min(w / W, h / H)`, sides
 * truncated to integers), take the effective resolution `min(scaled area, original area)` and the
 * wasted area `h·w − effective`; the largest effective resolution wins, ties go to the least waste,
 * remaining ties to the first pinpoint.
 *
 * @param image - the original image size
 * @param pinpoints - candidate resolutions as `[height, width]` pairs (`image_grid_pinpoints`)
 * @returns the chosen `{ height, width }`
 * @example
 * ```ts
 * selectBestResolution({ width: 1100, height: 808 }, [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]);
 * // { height: 672, width: 672 }
 * ```
 */
export function selectBestResolution(
  image: ImageSize,
  pinpoints: ReadonlyArray<readonly [number, number]>,
): { readonly height: number; readonly width: number } {
  const { width: W, height: H } = image;
  let best: readonly [number, number] = pinpoints[0]!;
  let maxEffective = 0;
  let minWasted = Number.POSITIVE_INFINITY;
  for (const pinpoint of pinpoints) {
    const [h, w] = pinpoint;
    const scale = Math.min(w / W, h / H);
    const scaledW = Math.trunc(W * scale);
    const scaledH = Math.trunc(H * scale);
    const effective = Math.min(scaledW * scaledH, W * H);
    const wasted = w * h - effective;
    if (effective > maxEffective || (effective === maxEffective && wasted < minWasted)) {
      maxEffective = effective;
      minWasted = wasted;
      best = pinpoint;
    }
  }
  return { height: best[0], width: best[1] };
}

/**
 * Python's `int(round(x, 7))` for x ≥ 0: round to 7 decimals, then truncate. Only values within
 * 5·10⁻⁸ below an integer move up to it; this is how transformers guards the unpadding against
 * floating-point error (e.g. 47.99999999 → 48).
 *
 * @param x - a non-negative number
 * @returns the integer
 * @example
 * ```ts
 * truncAfterRound7(35.258); // 35
 * truncAfterRound7(47.99999999); // 48
 * ```
 */
export function truncAfterRound7(x: number): number {
  const n = Math.floor(x);
  return n + 1 - x <= 5e-8 ? n + 1 : n;
}

/**
 * The unpadded token grid of LLaVA-NeXT's crops (transformers `_get_unpadded_features` and
 * `unpad_image`): the crops form a `rows × cols` token grid of a padded, aspect-preserving resize;
 * the padding rows (or columns) are removed symmetrically:
 *
 * - if W/H > cols/rows: `newRows = int(round(H · (cols / W), 7))`, `pad = (rows − newRows) // 2`,
 *   rows −= 2·pad;
 * - else: `newCols = int(round(W · (rows / H), 7))`, `pad = (cols − newCols) // 2`, cols −= 2·pad.
 *
 * @param image - the original image size
 * @param rows - token rows of the crop grid before unpadding (crops × 24 for 336/14)
 * @param cols - token columns before unpadding
 * @returns the grid that stays and the rows/columns removed above/left of it
 * @example
 * ```ts
 * unpaddedGrid({ width: 1100, height: 808 }, 48, 48); // { rows: 36, cols: 48, top: 6, left: 0 }
 * ```
 */
export function unpaddedGrid(
  image: ImageSize,
  rows: number,
  cols: number,
): { readonly rows: number; readonly cols: number; readonly top: number; readonly left: number } {
  const { width: W, height: H } = image;
  if (W / H > cols / rows) {
    const newRows = truncAfterRound7(H * (cols / W));
    const pad = Math.floor((rows - newRows) / 2);
    return { rows: rows - 2 * pad, cols, top: pad, left: 0 };
  }
  const newCols = truncAfterRound7(W * (rows / H));
  const pad = Math.floor((cols - newCols) / 2);
  return { rows, cols: cols - 2 * pad, top: 0, left: pad };
}
