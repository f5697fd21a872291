// Independent re-implementations of transformers' published token-count formulas, used only to
// check the adapters. Written separately from src/ (different rounding code: Number.toFixed).

/**
 * LlavaProcessor: (crop // patch)² + num_additional_image_tokens − 1 for the "default" strategy.
 * num_additional_image_tokens is 1 for CLIP towers (CLS), 0 for SigLIP.
 */
export function hfLlavaTokens(crop = 336, patch = 14, strategy: 'default' | 'full' = 'default', numAdditional = 1): number {
  return Math.floor(crop / patch) ** 2 + numAdditional - (strategy === 'default' ? 1 : 0);
}

/** Python int(round(x, 7)) via decimal formatting. */
function pyIntRound7(x: number): number {
  return Math.trunc(Number(x.toFixed(7)));
}

/** LlavaNextProcessor._get_number_of_features (orig size, crop size, patch) minus 1 for "default". */
export function hfLlavaNextTokens(
  width: number,
  height: number,
  pinpoints: ReadonlyArray<readonly [number, number]>,
  crop = 336,
  patch = 14,
  strategy: 'default' | 'full' = 'default',
  numAdditional = 1,
): number {
  // select_best_resolution([height, width], pinpoints)
  let bestH = 0;
  let bestW = 0;
  let maxEff = 0;
  let minWaste = Infinity;
  for (const [ph, pw] of pinpoints) {
    const scale = Math.min(pw / width, ph / height);
    const eff = Math.min(Math.floor(width * scale) * Math.floor(height * scale), width * height);
    const waste = pw * ph - eff;
    if (eff > maxEff || (eff === maxEff && waste < minWaste)) {
      maxEff = eff;
      minWaste = waste;
      bestH = ph;
      bestW = pw;
    }
  }
  const patchesH = Math.floor(crop / patch);
  const patchesW = Math.floor(crop / patch);
  let currentH = patchesH * Math.floor(bestH / crop);
  let currentW = patchesW * Math.floor(bestW / crop);
  if (width / height > currentW / currentH) {
    const newH = pyIntRound7(height * (currentW / width));
    currentH -= 2 * Math.floor((currentH - newH) / 2);
  } else {
    const newW = pyIntRound7(width * (currentH / height));
    currentW -= 2 * Math.floor((currentW - newW) / 2);
  }
  const unpadded = currentH * currentW;
  const newlines = currentH;
  const base = patchesH * patchesW + numAdditional; // num_additional_image_tokens: 1 (CLIP CLS) or 0 (SigLIP)
  return unpadded + newlines + base - (strategy === 'default' ? 1 : 0); // "default" drops the first token
}

/** A small deterministic generator of image sizes (LCG), for sweeps. */
export function* randomSizes(count: number, max: number, seed = 12345): Generator<{ width: number; height: number }> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  for (let i = 0; i < count; i++) {
    // log-uniform sides, so tiny, medium and huge all appear
    const side = (): number => Math.max(1, Math.round(Math.exp((next() / 2 ** 32) * Math.log(max))));
    yield { width: side(), height: side() };
  }
}
