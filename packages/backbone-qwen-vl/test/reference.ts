// Independent re-implementations of transformers' Qwen2-VL / Qwen2.5-VL formulas, used only to check
// the adapters: smart_resize and get_rope_index (images only), written apart from src/.

/** Python round(): Math.round rounds .5 up; move odd results of exact halves down to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** transformers smart_resize(height, width, factor, min_pixels, max_pixels) → [h, w]. */
export function hfSmartResize(height: number, width: number, factor = 28, minPixels = 56 * 56, maxPixels = 28 * 28 * 1280): [number, number] {
  if (Math.max(height, width) / Math.min(height, width) > 200) throw new Error('aspect ratio > 200');
  let hBar = pyRound(height / factor) * factor;
  let wBar = pyRound(width / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.max(factor, Math.floor(height / beta / factor) * factor);
    wBar = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return [hBar, wBar];
}

/** Image placeholder count: image_grid_thw.prod() // merge². */
export function hfQwenTokens(width: number, height: number, minPixels?: number, maxPixels?: number): number {
  const [h, w] = hfSmartResize(height, width, 28, minPixels, maxPixels);
  const gridT = 1;
  const gridH = h / 14;
  const gridW = w / 14;
  return (gridT * gridH * gridW) / 4;
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

/** Deterministic image sizes (LCG, log-uniform sides). */
export function* randomSizes(count: number, max: number, seed = 4242): Generator<{ width: number; height: number }> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < count; i++) {
    const width = Math.max(1, Math.round(Math.exp(next() * Math.log(max))));
    let height = Math.max(1, Math.round(Math.exp(next() * Math.log(max))));
    // keep the aspect ratio within the processor's limit of 200
    height = Math.min(Math.max(height, Math.ceil(width / 200)), width * 200);
    yield { width, height };
  }
}
