import sharp from 'sharp';
import { ResPruneError } from '@resprune/errors';

/** Image processor settings from `preprocessor_config.json` (CLIPImageProcessor / LlavaNextImageProcessor). */
export interface ImageProcessorConfig {
  /** Resize so the shorter side is this long (`size.shortest_edge`), or to `[height, width]` (`size.height/width`). */
  readonly size: { readonly shortestEdge: number } | { readonly height: number; readonly width: number };
  /** Center-crop `[height, width]`, or null when `do_center_crop` is false. */
  readonly cropSize: readonly [number, number] | null;
  /** Per-channel mean (of values in [0, 1]). */
  readonly imageMean: readonly [number, number, number];
  /** Per-channel standard deviation. */
  readonly imageStd: readonly [number, number, number];
  /** Multiplier from 0–255 values (1/255). */
  readonly rescaleFactor: number;
  /** Pad to a square filled with the mean colour before resizing (LlavaImageProcessor `do_pad`). */
  readonly padToSquare: boolean;
  /** LLaVA-NeXT anyres candidates `[height, width]`; empty for a single view. */
  readonly gridPinpoints: readonly (readonly [number, number])[];
}

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/**
 * Parses `preprocessor_config.json` with CLIPImageProcessor's defaults.
 *
 * @param raw - the parsed JSON (or `{}` when the file is absent)
 * @param pinpoints - anyres candidates from config.json, used when the preprocessor config has none
 * @returns the typed settings
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` for malformed fields
 * @example
 * ```ts
 * parseImageProcessorConfig({ size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 } });
 * ```
 */
export function parseImageProcessorConfig(raw: unknown, pinpoints: readonly (readonly [number, number])[] = []): ImageProcessorConfig {
  const r = (raw ?? {}) as Record<string, unknown>;
  const bad = (field: string, got: unknown): ResPruneError =>
    new ResPruneError('E_CHECKPOINT', `preprocessor_config.json: ${field} is malformed, got ${JSON.stringify(got)}.`, { details: { field } });
  const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
  const sizeRaw = (r['size'] ?? { shortest_edge: 224 }) as Record<string, unknown> | number;
  let size: ImageProcessorConfig['size'];
  if (typeof sizeRaw === 'number' && posInt(sizeRaw)) size = { shortestEdge: sizeRaw };
  else if (typeof sizeRaw === 'object' && posInt(sizeRaw['shortest_edge'])) size = { shortestEdge: sizeRaw['shortest_edge'] };
  else if (typeof sizeRaw === 'object' && posInt(sizeRaw['height']) && posInt(sizeRaw['width'])) size = { height: sizeRaw['height'], width: sizeRaw['width'] };
  else throw bad('size', sizeRaw);
  let cropSize: [number, number] | null = null;
  if (r['do_center_crop'] !== false) {
    const c = (r['crop_size'] ?? { height: 224, width: 224 }) as Record<string, unknown> | number;
    if (typeof c === 'number' && posInt(c)) cropSize = [c, c];
    else if (typeof c === 'object' && posInt(c['height']) && posInt(c['width'])) cropSize = [c['height'], c['width']];
    else throw bad('crop_size', c);
  }
  const triple = (key: string, def: [number, number, number]): [number, number, number] => {
    const v = r[key] ?? def;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad(key, v);
    return v as [number, number, number];
  };
  const imageStd = triple('image_std', CLIP_STD);
  if (imageStd.some((s) => s <= 0)) throw bad('image_std', imageStd);
  const normalize = r['do_normalize'] !== false;
  const rescale = r['do_rescale'] !== false;
  const gp = r['image_grid_pinpoints'];
  const gridPinpoints = Array.isArray(gp) ? (gp as [number, number][]) : [...pinpoints];
  return {
    size,
    cropSize,
    imageMean: normalize ? triple('image_mean', CLIP_MEAN) : [0, 0, 0],
    imageStd: normalize ? imageStd : [1, 1, 1],
    rescaleFactor: rescale ? ((r['rescale_factor'] as number | undefined) ?? 1 / 255) : 1,
    padToSquare: r['do_pad'] === true && r['image_processor_type'] === 'LlavaImageProcessor',
    gridPinpoints,
  };
}

/** Decoded RGB pixels, row-major `[height, width, 3]` bytes. */
export interface RgbImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `height × width × 3` bytes. */
  readonly data: Uint8Array;
}

/**
 * Decodes a JPEG/PNG/WebP/... file or buffer to 8-bit RGB with sharp. Alpha is composited on white and
 * greyscale expanded, as transformers' `convert_to_rgb` does. EXIF orientation is applied.
 *
 * @param input - a path or the encoded bytes
 * @returns the pixels
 * @throws {@link @resprune/errors!ResPruneError} `E_FILE_NOT_FOUND` for a missing path, `E_IMAGE_DECODE` when sharp cannot decode it
 * @example
 * ```ts
 * const img = await decodeRgb('photo.jpg');
 * ```
 */
export async function decodeRgb(input: string | Uint8Array): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (cause) {
    const where = typeof input === 'string' ? input : `<${input.byteLength} bytes>`;
    if (typeof input === 'string' && /missing|not exist|no such/i.test(String((cause as Error).message))) {
      throw new ResPruneError('E_FILE_NOT_FOUND', `${where}: image file not found.`, { cause, details: { file: where } });
    }
    throw new ResPruneError('E_IMAGE_DECODE', `${where}: cannot decode image (${(cause as Error).message}).`, { cause, details: { file: where } });
  }
}

async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function crop(img: RgbImage, top: number, left: number, height: number, width: number, fill: readonly [number, number, number]): RgbImage {
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    for (let x = 0; x < width; x++) {
      const sx = left + x;
      const o = (y * width + x) * 3;
      if (sy >= 0 && sy < img.height && sx >= 0 && sx < img.width) {
        const s = (sy * img.width + sx) * 3;
        out[o] = img.data[s]!;
        out[o + 1] = img.data[s + 1]!;
        out[o + 2] = img.data[s + 2]!;
      } else {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
      }
    }
  }
  return { width, height, data: out };
}

/** Resize (shortest edge), center crop (or pad), as CLIPImageProcessor does for one view. */
async function clipView(img: RgbImage, cfg: ImageProcessorConfig): Promise<RgbImage> {
  let out = img;
  if ('shortestEdge' in cfg.size) {
    const s = cfg.size.shortestEdge;
    const short = Math.min(img.width, img.height);
    const long = Math.max(img.width, img.height);
    const newLong = Math.trunc((s * long) / short);
    out = img.width <= img.height ? await resizeRgb(img, s, newLong) : await resizeRgb(img, newLong, s);
  } else {
    out = await resizeRgb(img, cfg.size.width, cfg.size.height);
  }
  if (cfg.cropSize !== null) {
    const [ch, cw] = cfg.cropSize;
    // transformers center_crop: top = (H - h) // 2, padding with zeros when the crop is larger.
    out = crop(out, Math.floor((out.height - ch) / 2), Math.floor((out.width - cw) / 2), ch, cw, [0, 0, 0]);
  }
  return out;
}

function normalizeInto(img: RgbImage, cfg: ImageProcessorConfig, dst: Float32Array, offset: number): void {
  const hw = img.width * img.height;
  for (let c = 0; c < 3; c++) {
    const m = cfg.imageMean[c]!;
    const s = cfg.imageStd[c]!;
    const base = offset + c * hw;
    for (let i = 0; i < hw; i++) dst[base + i] = (img.data[i * 3 + c]! * cfg.rescaleFactor - m) / s;
  }
}

/**
 * LLaVA-NeXT's choice of anyres resolution: the candidate that keeps the most of the original pixels after a
 * fit-inside downscale, ties broken by the least wasted area (as HF `select_best_resolution`).
 *
 * @param size - `[height, width]` of the image
 * @param pinpoints - candidates `[height, width]`
 * @returns the best candidate `[height, width]`
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when there are no candidates
 * @example
 * ```ts
 * selectBestResolution([480, 640], [[336, 672], [672, 336], [672, 672]]); // [672, 672]
 * ```
 */
export function selectBestResolution(size: readonly [number, number], pinpoints: readonly (readonly [number, number])[]): [number, number] {
  const [oh, ow] = size;
  let best: [number, number] | undefined;
  let maxEff = 0;
  let minWaste = Infinity;
  for (const [h, w] of pinpoints) {
    const scale = Math.min(w / ow, h / oh);
    const dw = Math.trunc(ow * scale);
    const dh = Math.trunc(oh * scale);
    const eff = Math.min(dw * dh, ow * oh);
    const waste = w * h - eff;
    if (eff > maxEff || (eff === maxEff && waste < minWaste)) {
      maxEff = eff;
      minWaste = waste;
      best = [h, w];
    }
  }
  if (best === undefined) throw new ResPruneError('E_INVALID_OPTION', 'selectBestResolution: no grid pinpoints given.');
  return best;
}

/** One image after preprocessing: normalised crops and what the model needs to lay them out. */
export interface PreprocessedImage {
  /** `crops × 3 × size × size` floats, channels first (base view first for anyres). */
  readonly pixels: Float32Array;
  /** Number of crops (1 for LLaVA-1.5; 1 + rows × cols for LLaVA-NeXT). */
  readonly crops: number;
  /** Crop side in pixels. */
  readonly cropSize: number;
  /** `[height, width]` of the decoded image (HF `image_sizes`). */
  readonly imageSize: readonly [number, number];
  /** Anyres grid `[rows, cols]`, or null. */
  readonly grid: readonly [number, number] | null;
}

/**
 * Preprocesses an image as the checkpoint's processor does: CLIP resize + center crop + normalise for LLaVA-1.5;
 * for LLaVA-NeXT (anyres) a squashed base view plus the tiles of the best grid resolution (aspect-preserving
 * resize, centered black padding, 336-px tiles).
 *
 * @param img - decoded RGB
 * @param cfg - processor settings
 * @returns normalised crops
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for an empty image
 * @example
 * ```ts
 * const pre = await preprocessImage(await decodeRgb('dog.jpg'), cfg);
 * pre.crops; // 1 for LLaVA-1.5, 5 for a 2×2 anyres grid
 * ```
 */
export async function preprocessImage(img: RgbImage, cfg: ImageProcessorConfig): Promise<PreprocessedImage> {
  if (img.width <= 0 || img.height <= 0) throw new ResPruneError('E_IMAGE_SIZE', `preprocessImage: empty image ${img.width}×${img.height}.`);
  const side = cfg.cropSize?.[0] ?? ('shortestEdge' in cfg.size ? cfg.size.shortestEdge : cfg.size.height);
  if (cfg.gridPinpoints.length === 0) {
    let src = img;
    if (cfg.padToSquare && img.width !== img.height) {
      const s = Math.max(img.width, img.height);
      const fill = cfg.imageMean.map((m) => Math.trunc(m * 255)) as [number, number, number];
      src = crop(img, -Math.floor((s - img.height) / 2), -Math.floor((s - img.width) / 2), s, s, fill);
    }
    const view = await clipView(src, cfg);
    const pixels = new Float32Array(3 * view.width * view.height);
    normalizeInto(view, cfg, pixels, 0);
    return { pixels, crops: 1, cropSize: view.width, imageSize: [img.height, img.width], grid: null };
  }
  const [th, tw] = selectBestResolution([img.height, img.width], cfg.gridPinpoints);
  const scaleW = tw / img.width;
  const scaleH = th / img.height;
  let nw: number;
  let nh: number;
  if (scaleW < scaleH) {
    nw = tw;
    nh = Math.min(Math.ceil(img.height * scaleW), th);
  } else {
    nh = th;
    nw = Math.min(Math.ceil(img.width * scaleH), tw);
  }
  const resized = await resizeRgb(img, nw, nh);
  const padded = crop(resized, -Math.floor((th - nh) / 2), -Math.floor((tw - nw) / 2), th, tw, [0, 0, 0]);
  const rows = th / side;
  const cols = tw / side;
  const views: RgbImage[] = [await clipView(await resizeRgb(img, side, side), cfg)];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) views.push(await clipView(crop(padded, r * side, c * side, side, side, [0, 0, 0]), cfg));
  }
  const per = 3 * side * side;
  const pixels = new Float32Array(views.length * per);
  views.forEach((v, i) => normalizeInto(v, cfg, pixels, i * per));
  return { pixels, crops: views.length, cropSize: side, imageSize: [img.height, img.width], grid: [rows, cols] };
}
