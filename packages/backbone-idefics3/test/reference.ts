/**
 * An independent reference of transformers' Idefics3 processor, written apart from src/: the three
 * Python steps of `Idefics3ImageProcessor.preprocess` as separate functions over (height, width)
 * pairs (Python's argument order), and `Idefics3Processor`'s prompt expansion
 * (`_prompt_split_image` / `_prompt_single_image`), whose `<image>` count is the token count.
 */

const MAX_IMAGE_SIZE = 4096;

/** `int()` of a positive float. */
const pyInt = (x: number): number => Math.floor(x);

/** `_resize_output_size_rescale_to_max_len(height, width, min_len=1, max_len)`. */
export function rescaleToMaxLen(height: number, width: number, maxLen: number): [number, number] {
  const aspectRatio = width / height;
  let h = height;
  let w = width;
  if (w >= h) {
    w = maxLen;
    h = pyInt(w / aspectRatio);
    if (h % 2 !== 0) h += 1;
  } else if (h > w) {
    h = maxLen;
    w = pyInt(h * aspectRatio);
    if (w % 2 !== 0) w += 1;
  }
  return [Math.max(h, 1), Math.max(w, 1)];
}

/** `_resize_output_size_scale_below_upper_bound(height, width, max_len=MAX_IMAGE_SIZE)`. */
export function scaleBelowUpperBound(height: number, width: number): [number, number] {
  const aspectRatio = width / height;
  let h = height;
  let w = width;
  if (w >= h && w > MAX_IMAGE_SIZE) {
    w = MAX_IMAGE_SIZE;
    h = pyInt(w / aspectRatio);
  } else if (h > w && h > MAX_IMAGE_SIZE) {
    h = MAX_IMAGE_SIZE;
    w = pyInt(h * aspectRatio);
  }
  return [Math.max(h, 1), Math.max(w, 1)];
}

/** `resize_for_vision_encoder(image, vision_encoder_max_size)` (its size arithmetic). */
export function resizeForVisionEncoder(height: number, width: number, max: number): [number, number] {
  const aspectRatio = width / height;
  if (width >= height) {
    const w = Math.ceil(width / max) * max;
    const h = Math.ceil(pyInt(w / aspectRatio) / max) * max;
    return [h, w];
  }
  const h = Math.ceil(height / max) * max;
  const w = Math.ceil(pyInt(h * aspectRatio) / max) * max;
  return [h, w];
}

/** `split_image`'s (num_splits_h, num_splits_w). */
export function splits(height: number, width: number, max: number): [number, number] {
  if (height > max || width > max) return [Math.ceil(height / max), Math.ceil(width / max)];
  return [0, 0];
}

export interface ProcessorSettings {
  readonly longestEdge: number;
  readonly max: number;
  readonly imageSeqLen: number;
  readonly doResize?: boolean;
  readonly doImageSplitting?: boolean;
}

/** (rows, cols) as `preprocess(..., return_row_col_info=True)` reports them. */
export function rowsCols(width: number, height: number, s: ProcessorSettings): [number, number] {
  let h = height;
  let w = width;
  if (s.doResize ?? true) {
    [h, w] = rescaleToMaxLen(h, w, s.longestEdge);
    [h, w] = scaleBelowUpperBound(h, w);
  }
  if (!(s.doImageSplitting ?? true)) return [0, 0];
  [h, w] = resizeForVisionEncoder(h, w, s.max);
  return splits(h, w, s.max);
}

/** The processor's expansion of one `<image>` for (rows, cols). */
export function imagePromptString(rows: number, cols: number, imageSeqLen: number): string {
  const fake = '<fake_token_around_image>';
  const image = '<image>'.repeat(imageSeqLen);
  if (rows === 0 && cols === 0) return `${fake}<global-img>${image}${fake}`;
  let text = '';
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) text += `${fake}<row_${r + 1}_col_${c + 1}>${image}`;
    text += '\n';
  }
  return `${text}\n${fake}<global-img>${image}${fake}`;
}

/** `<image>` placeholders in the expanded prompt of one image. */
export function placeholderCount(width: number, height: number, s: ProcessorSettings): number {
  const [rows, cols] = rowsCols(width, height, s);
  return imagePromptString(rows, cols, s.imageSeqLen).split('<image>').length - 1;
}
