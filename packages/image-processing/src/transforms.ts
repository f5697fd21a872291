import { ResPruneError } from '@resprune/errors';
import { assertRgbImage, type RgbImage } from './image.js';

/**
 * HF `get_resize_output_image_size(image, size, default_to_square=False)`: the short side becomes
 * `shortestEdge`, the long side `int(shortestEdge * long / short)` (truncated).
 *
 * @param width - input width
 * @param height - input height
 * @param shortestEdge - the requested short side
 * @returns the output `{ width, height }`
 * @example
 * ```ts
 * shortestEdgeSize(640, 427, 336); // { width: 503, height: 336 }
 * ```
 */
export function shortestEdgeSize(width: number, height: number, shortestEdge: number): { readonly width: number; readonly height: number } {
  const short = width <= height ? width : height;
  const long = width <= height ? height : width;
  const newLong = Math.trunc((shortestEdge * long) / short);
  return width <= height ? { width: shortestEdge, height: newLong } : { width: newLong, height: shortestEdge };
}

/**
 * Copies the rectangle `[top, top + height) × [left, left + width)` of `image`, filling pixels
 * outside the source with `fill`.
 *
 * @param image - the source
 * @param top - first row (may be negative)
 * @param left - first column (may be negative)
 * @param height - output height
 * @param width - output width
 * @param fill - RGB of pixels outside the source
 * @returns the new image
 * @example
 * ```ts
 * cropOrPad(img, -2, 0, img.height + 4, img.width, [0, 0, 0]); // two black rows above and below
 * ```
 */
export function cropOrPad(
  image: RgbImage,
  top: number,
  left: number,
  height: number,
  width: number,
  fill: readonly [number, number, number] = [0, 0, 0],
): RgbImage {
  const out = new Uint8Array(width * height * 3);
  if (fill[0] !== 0 || fill[1] !== 0 || fill[2] !== 0) {
    for (let i = 0; i < width * height; i++) {
      out[i * 3] = fill[0];
      out[i * 3 + 1] = fill[1];
      out[i * 3 + 2] = fill[2];
    }
  }
  const y0 = Math.max(0, -top);
  const y1 = Math.min(height, image.height - top);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(width, image.width - left);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const src = ((y + top) * image.width + (x0 + left)) * 3;
      out.set(image.data.subarray(src, src + (x1 - x0) * 3), (y * width + x0) * 3);
    }
  }
  return { width, height, data: out };
}

/**
 * HF `image_transforms.center_crop(image, (cropHeight, cropWidth))`: `top = (H − h) // 2`,
 * `left = (W − w) // 2` (floor division); when the crop does not fit, the image is first placed on
 * a zero canvas of `max(h, H) × max(w, W)` at offset `ceil((canvas − size) / 2)` and the same
 * window, shifted by that offset, is cut from the canvas. Output is always `cropHeight × cropWidth`.
 *
 * @param image - the image
 * @param cropHeight - crop height
 * @param cropWidth - crop width
 * @returns the cropped (or zero-padded) image
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` or `E_IMAGE_SIZE` for a malformed image
 * @example
 * ```ts
 * centerCrop(img, 336, 336);
 * ```
 */
export function centerCrop(image: RgbImage, cropHeight: number, cropWidth: number): RgbImage {
  assertRgbImage('centerCrop', image);
  const H = image.height;
  const W = image.width;
  const top = Math.floor((H - cropHeight) / 2);
  const left = Math.floor((W - cropWidth) / 2);
  if (top >= 0 && top + cropHeight <= H && left >= 0 && left + cropWidth <= W) {
    return cropOrPad(image, top, left, cropHeight, cropWidth);
  }
  const newH = Math.max(cropHeight, H);
  const newW = Math.max(cropWidth, W);
  const topPad = Math.ceil((newH - H) / 2);
  const leftPad = Math.ceil((newW - W) / 2);
  // Canvas coordinates of the window, clipped to the canvas as the numpy slice is.
  const t = top + topPad;
  const l = left + leftPad;
  const t0 = Math.max(0, t);
  const t1 = Math.min(newH, t + cropHeight);
  const l0 = Math.max(0, l);
  const l1 = Math.min(newW, l + cropWidth);
  if (t1 - t0 !== cropHeight || l1 - l0 !== cropWidth) {
    throw new ResPruneError('E_INTERNAL', `centerCrop: window ${t1 - t0}×${l1 - l0} differs from ${cropHeight}×${cropWidth}`);
  }
  // Image pixel (y, x) sits at canvas (y + topPad, x + leftPad); the window starts at canvas (t0, l0).
  return cropOrPad(image, t0 - topPad, l0 - leftPad, cropHeight, cropWidth);
}

/**
 * The float32 arithmetic of HF's `rescale` then `normalize`, channels first: for each value `v`,
 * `r = float32(float64(v) · rescaleFactor)` (when rescaling), then
 * `float32(float32(r − float32(mean[c])) / float32(std[c]))` (when normalising). This is NumPy's
 * `image.astype(float64) * scale` → `.astype(float32)`, then `(image - mean) / std` with mean and std
 * cast to the image's float32 dtype.
 *
 * @param image - the view
 * @param out - destination, `3 × height × width` floats from `offset`
 * @param offset - start index in `out`
 * @param options - factors; a disabled step is skipped exactly as HF skips it
 * @example
 * ```ts
 * const out = new Float32Array(3 * img.width * img.height);
 * rescaleNormalizeInto(img, out, 0, { rescaleFactor: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
 * ```
 */
export function rescaleNormalizeInto(
  image: RgbImage,
  out: Float32Array,
  offset: number,
  options: {
    readonly rescaleFactor: number | null;
    readonly mean: readonly [number, number, number] | null;
    readonly std: readonly [number, number, number] | null;
  },
): void {
  const hw = image.width * image.height;
  const { rescaleFactor } = options;
  const normalize = options.mean !== null && options.std !== null;
  for (let c = 0; c < 3; c++) {
    const m = normalize ? Math.fround(options.mean![c]!) : 0;
    const s = normalize ? Math.fround(options.std![c]!) : 1;
    const base = offset + c * hw;
    for (let i = 0; i < hw; i++) {
      let v = image.data[i * 3 + c]!;
      if (rescaleFactor !== null) v = Math.fround(v * rescaleFactor);
      if (normalize) v = Math.fround(Math.fround(v - m) / s);
      out[base + i] = v;
    }
  }
}
