// Independent references for the Qwen2-VL / Qwen2.5-VL adapters: smart_resize results computed in
// Python (fixtures/smart_resize_hf.py) and get_rope_index (images only), written apart from src/.
import { readFileSync } from 'node:fs';

/** One case of smart-resize-hf.json: [height, width] after smart_resize, or null where the processor refuses. */
export interface HfResizeCase {
  readonly width: number;
  readonly height: number;
  /** With the published preprocessor_config.json (max_pixels 12 845 056). */
  readonly hub: [number, number] | null;
  /** With transformers' default bounds (max_pixels 28·28·1280). */
  readonly default: [number, number] | null;
}

/**
 * smart_resize results computed by Python from transformers' formula (test/fixtures/smart_resize_hf.py,
 * its own round(), floor, ceil and sqrt), not by a re-implementation of src/smart-resize.ts.
 */
export const HF_RESIZE: { readonly hubMax: number; readonly cases: readonly HfResizeCase[] } = JSON.parse(
  readFileSync(new URL('./fixtures/smart-resize-hf.json', import.meta.url), 'utf8'),
) as { hubMax: number; cases: HfResizeCase[] };

/** Image placeholder count from a resized [h, w]: grid (h/14)·(w/14), merged 2×2. */
export function placeholders([h, w]: readonly [number, number]): number {
  return ((h / 14) * (w / 14)) / 4;
}

/**
 * get_rope_index for a prompt with images only: text runs count on from the previous chunk's
 * maximum + 1; an image (after <|vision_start|>) gets t = 0, h = row, w = col, all offset by the
 * position where it starts. Returns one [t, h, w] per token of `ids`.
 */
export function hfRopeIndex(
  ids: readonly number[],
  grids: ReadonlyArray<readonly [number, number, number]>,
  imageTokenId: number,
  merge = 2,
): Array<[number, number, number]> {
  const chunks: Array<Array<[number, number, number]>> = [];
  const lastMax = (): number => (chunks.length === 0 ? 0 : Math.max(...chunks[chunks.length - 1]!.flat()) + 1);
  let st = 0;
  for (const [t, h, w] of grids) {
    const ed = ids.indexOf(imageTokenId, st);
    const textLen = ed - st;
    const stIdx = lastMax();
    chunks.push(Array.from({ length: textLen }, (_, k) => [stIdx + k, stIdx + k, stIdx + k]));
    const lh = h / merge;
    const lw = w / merge;
    const image: Array<[number, number, number]> = [];
    for (let ti = 0; ti < t; ti++) {
      for (let hi = 0; hi < lh; hi++) {
        for (let wi = 0; wi < lw; wi++) image.push([ti * 0 + textLen + stIdx, hi + textLen + stIdx, wi + textLen + stIdx]);
      }
    }
    chunks.push(image);
    st = ed + t * lh * lw;
  }
  if (st < ids.length) {
    const stIdx = lastMax();
    chunks.push(Array.from({ length: ids.length - st }, (_, k) => [stIdx + k, stIdx + k, stIdx + k]));
  }
  return chunks.flat();
}
