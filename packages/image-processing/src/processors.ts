import { selectBestResolution } from '@resprune/backbone-llava';
import { smartResize } from '@resprune/backbone-qwen-vl';
import { ResPruneError } from '@resprune/errors';
import type { ClipProcessorConfig, CommonProcessorConfig, ImageProcessorConfig, LlavaNextProcessorConfig, Qwen2VlProcessorConfig, SizeSpec } from './config.js';
import { assertRgbImage, type RgbImage } from './image.js';
import { resizePil } from './resample.js';
import { centerCrop, cropOrPad, rescaleNormalizeInto, shortestEdgeSize } from './transforms.js';

/**
 * `pixel_values` of one image, float32, with its shape.
 *
 * @example
 * ```ts
 * const { pixelValues, shape } = clipPixelValues(img, cfg); // shape [1, 3, 336, 336]
 * ```
 */
export interface PixelValues {
  /** The values, row-major in `shape`. */
  readonly pixelValues: Float32Array;
  /** The array's shape. */
  readonly shape: readonly number[];
}

/** CLIP / LLaVA-1.5 output: `shape` is `[1, 3, cropHeight, cropWidth]`. */
export interface ClipPixelValues extends PixelValues {
  /** Discriminant. */
  readonly kind: 'clip';
}

/** LLaVA-NeXT output: `shape` is `[1 + rows·cols, 3, S, S]`, the base view first. */
export interface LlavaNextPixelValues extends PixelValues {
  /** Discriminant. */
  readonly kind: 'llava-next';
  /** HF `image_sizes`: `[height, width]` of the input image. */
  readonly imageSize: readonly [number, number];
  /** The pinpoint chosen by `select_best_resolution`. */
  readonly bestResolution: { readonly height: number; readonly width: number };
  /** Patches per column and per row of the padded best resolution: `[rows, cols]`. */
  readonly grid: readonly [number, number];
}

/** Qwen2-VL output: `shape` is `[gridT·gridH·gridW, C·T·P·P]`. */
export interface Qwen2VlPixelValues extends PixelValues {
  /** Discriminant. */
  readonly kind: 'qwen2-vl';
  /** HF `image_grid_thw` of this image: `[gridT, gridH, gridW]` in patches. */
  readonly imageGridThw: readonly [number, number, number];
  /** The size `smart_resize` chose (the image is resized to it). */
  readonly resized: { readonly height: number; readonly width: number };
}

/** Any processor's output, discriminated by `kind`. */
export type ProcessedImage = ClipPixelValues | LlavaNextPixelValues | Qwen2VlPixelValues;

function factors(cfg: CommonProcessorConfig): Parameters<typeof rescaleNormalizeInto>[3] {
  return {
    rescaleFactor: cfg.doRescale ? cfg.rescaleFactor : null,
    mean: cfg.doNormalize ? cfg.imageMean : null,
    std: cfg.doNormalize ? cfg.imageStd : null,
  };
}

/** CLIP's `resize`: shortest edge (aspect kept, long side truncated) or an exact height × width. */
function resizeTo(image: RgbImage, size: SizeSpec, cfg: CommonProcessorConfig): RgbImage {
  const out = 'shortestEdge' in size ? shortestEdgeSize(image.width, image.height, size.shortestEdge) : size;
  return resizePil(image, out.width, out.height, cfg.resample);
}

/** One view through CLIP's `_preprocess` up to the uint8 stage: resize, then center crop. */
function clipView(image: RgbImage, cfg: Omit<ClipProcessorConfig, 'kind' | 'padToSquare'>): RgbImage {
  let out = image;
  if (cfg.doResize) out = resizeTo(out, cfg.size, cfg);
  if (cfg.doCenterCrop) out = centerCrop(out, cfg.cropSize.height, cfg.cropSize.width);
  return out;
}

function stackViews(views: readonly RgbImage[], cfg: CommonProcessorConfig): { pixelValues: Float32Array; shape: number[] } {
  const { width, height } = views[0]!;
  for (const v of views) {
    if (v.width !== width || v.height !== height) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `views of ${v.width}×${v.height} and ${width}×${height} cannot be stacked (HF's np.array would fail too)`);
    }
  }
  const per = 3 * width * height;
  const pixelValues = new Float32Array(views.length * per);
  views.forEach((v, i) => rescaleNormalizeInto(v, pixelValues, i * per, factors(cfg)));
  return { pixelValues, shape: [views.length, 3, height, width] };
}

/**
 * `LlavaImageProcessor.pad_to_square`: a `max × max` canvas of `int(mean · 255)`, the image at
 * `(max − side) // 2` on the short axis.
 */
function padToSquare(image: RgbImage, mean: readonly [number, number, number]): RgbImage {
  const { width, height } = image;
  if (width === height) return image;
  const s = Math.max(width, height);
  const fill = mean.map((m) => Math.trunc(m * 255)) as unknown as [number, number, number];
  const top = width > height ? Math.floor((s - height) / 2) : 0;
  const left = width > height ? 0 : Math.floor((s - width) / 2);
  return cropOrPad(image, -top, -left, s, s, fill);
}

/**
 * HF `CLIPImageProcessor` (LLaVA-1.5's processor) on one RGB image, bit for bit: shortest-edge
 * resize with Pillow bicubic on uint8 (long side `int(s · long / short)`), HF `center_crop` (floor
 * offsets; zero padding via a `ceil`-centred canvas when the image is smaller than the crop), then
 * rescale (`float32(float64(x) · factor)`) and normalise (`(x − mean) / std` in float32),
 * channels first. With `LlavaImageProcessor` and `do_pad`, the image is first padded to a square
 * with `int(mean · 255)`.
 *
 * @param image - decoded RGB (after `convert("RGB")`)
 * @param cfg - settings from {@link parseClipConfig}
 * @returns `pixel_values` with shape `[1, 3, cropHeight, cropWidth]` (or the resized size when
 *   `do_center_crop` is false)
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`/`E_IMAGE_SIZE` for a malformed image
 * @example
 * ```ts
 * const cfg = parseClipConfig({ size: { shortest_edge: 336 }, crop_size: 336 });
 * clipPixelValues(img, cfg).shape; // [1, 3, 336, 336]
 * ```
 */
export function clipPixelValues(image: RgbImage, cfg: ClipProcessorConfig): ClipPixelValues {
  assertRgbImage('clipPixelValues', image);
  const src = cfg.padToSquare ? padToSquare(image, cfg.imageMean) : image;
  return { kind: 'clip', ...stackViews([clipView(src, cfg)], cfg) };
}

/**
 * HF `get_patch_output_size`: fit inside the target keeping the aspect ratio; the constrained side
 * takes the target, the other `min(ceil(side · scale), target)`.
 */
function patchOutputSize(width: number, height: number, target: { readonly height: number; readonly width: number }): { height: number; width: number } {
  const scaleW = target.width / width;
  const scaleH = target.height / height;
  if (scaleW < scaleH) return { width: target.width, height: Math.min(Math.ceil(height * scaleW), target.height) };
  return { height: target.height, width: Math.min(Math.ceil(width * scaleH), target.width) };
}

/**
 * HF `LlavaNextImageProcessor` on one RGB image, bit for bit: `select_best_resolution` among the
 * pinpoints (`selectBestResolution` of `@resprune/backbone-llava`); resize keeping the aspect
 * ratio into it (`get_patch_output_size`: the other side `min(ceil(side · scale), target)`), Pillow
 * bicubic; pad with 0 to the pinpoint, centred (`divmod(diff, 2)`: the odd pixel goes after);
 * split into `crop_size.height` patches row by row (`divide_to_patches`); the base view is the whole
 * image squashed to `shortest_edge × shortest_edge`. Every view then goes through CLIP's steps
 * (shortest-edge resize, center crop, rescale, normalise). Output order: base view, then patches.
 *
 * @param image - decoded RGB
 * @param cfg - settings from {@link parseLlavaNextConfig}
 * @returns `pixel_values` `[1 + rows·cols, 3, S, S]`, `image_sizes` and the grid
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`/`E_IMAGE_SIZE` for a malformed image
 * @example
 * ```ts
 * const out = llavaNextPixelValues(img, parseLlavaNextConfig(preprocessorJson));
 * out.shape; // [5, 3, 336, 336] for a 2×2 grid
 * ```
 */
export function llavaNextPixelValues(image: RgbImage, cfg: LlavaNextProcessorConfig): LlavaNextPixelValues {
  assertRgbImage('llavaNextPixelValues', image);
  const best = selectBestResolution({ width: image.width, height: image.height }, cfg.imageGridPinpoints);
  const fitted = patchOutputSize(image.width, image.height, best);
  const resized = resizePil(image, fitted.width, fitted.height, cfg.resample);
  // _pad_for_patching recomputes the fitted size from the resized image, then pads centred.
  const again = patchOutputSize(resized.width, resized.height, best);
  const padY = Math.floor((best.height - again.height) / 2);
  const padX = Math.floor((best.width - again.width) / 2);
  const padded = cropOrPad(resized, -padY, -padX, best.height, best.width);
  const patch = cfg.cropSize.height;
  const patches: RgbImage[] = [];
  let rows = 0;
  let cols = 0;
  for (let y = 0; y < padded.height; y += patch) {
    rows++;
    cols = 0;
    for (let x = 0; x < padded.width; x += patch) {
      cols++;
      patches.push(cropOrPad(padded, y, x, Math.min(patch, padded.height - y), Math.min(patch, padded.width - x)));
    }
  }
  const baseSide = 'shortestEdge' in cfg.size ? cfg.size.shortestEdge : Math.min(cfg.size.height, cfg.size.width);
  const base = resizePil(image, baseSide, baseSide, cfg.resample);
  const views = [base, ...patches].map((v) => clipView(v, cfg));
  return {
    kind: 'llava-next',
    ...stackViews(views, cfg),
    imageSize: [image.height, image.width],
    bestResolution: best,
    grid: [rows, cols],
  };
}

/**
 * HF `Qwen2VLImageProcessor` (Qwen2-VL and Qwen2.5-VL) on one RGB image, bit for bit:
 * `smart_resize` (`smartResize` of `@resprune/backbone-qwen-vl`, factor = patch × merge), Pillow
 * bicubic, rescale + normalise in float32, the frame repeated to `temporal_patch_size`, and HF's
 * patch flattening: `[T, C, H, W]` reshaped to `[gridT, T, C, gridH/m, m, P, gridW/m, m, P]`,
 * transposed to `[gridT, gridH/m, gridW/m, m, m, C, T, P, P]` and flattened to
 * `[gridT·gridH·gridW, C·T·P·P]`.
 *
 * @param image - decoded RGB
 * @param cfg - settings from {@link parseQwen2VlConfig}
 * @returns `pixel_values` `[gridT·gridH·gridW, C·T·P·P]` and `image_grid_thw`
 * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` when the aspect ratio exceeds 200
 *   (as HF refuses) or, with `do_resize` false, when the sides are not multiples of patch × merge;
 *   `E_SHAPE_MISMATCH` for a malformed image
 * @example
 * ```ts
 * const out = qwen2VlPixelValues(img, parseQwen2VlConfig(preprocessorJson));
 * out.imageGridThw; // [1, 58, 78] for a 1092×812 resize
 * ```
 */
export function qwen2VlPixelValues(image: RgbImage, cfg: Qwen2VlProcessorConfig): Qwen2VlPixelValues {
  const op = 'qwen2VlPixelValues';
  assertRgbImage(op, image);
  const P = cfg.patchSize;
  const m = cfg.mergeSize;
  const T = cfg.temporalPatchSize;
  let frame = image;
  if (cfg.doResize) {
    const size = smartResize(image.height, image.width, { factor: P * m, minPixels: cfg.minPixels, maxPixels: cfg.maxPixels });
    frame = resizePil(image, size.width, size.height, cfg.resample);
  } else if (image.height % (P * m) !== 0 || image.width % (P * m) !== 0) {
    throw new ResPruneError(
      'E_IMAGE_SIZE',
      `${op}: with do_resize false the image sides must be multiples of patch_size × merge_size = ${P * m}, got ${image.width}×${image.height}`,
      { details: { width: image.width, height: image.height } },
    );
  }
  const H = frame.height;
  const W = frame.width;
  const plane = new Float32Array(3 * H * W);
  rescaleNormalizeInto(frame, plane, 0, factors(cfg));
  const gridH = H / P;
  const gridW = W / P;
  const rowsOut = gridH * gridW; // gridT = 1: one image, repeated to T frames
  const cols = 3 * T * P * P;
  const out = new Float32Array(rowsOut * cols);
  let o = 0;
  for (let bh = 0; bh < gridH / m; bh++) {
    for (let bw = 0; bw < gridW / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        for (let mw = 0; mw < m; mw++) {
          const y0 = (bh * m + mh) * P;
          const x0 = (bw * m + mw) * P;
          for (let c = 0; c < 3; c++) {
            for (let t = 0; t < T; t++) {
              for (let py = 0; py < P; py++) {
                const src = c * H * W + (y0 + py) * W + x0;
                out.set(plane.subarray(src, src + P), o);
                o += P;
              }
            }
          }
        }
      }
    }
  }
  return { kind: 'qwen2-vl', pixelValues: out, shape: [rowsOut, cols], imageGridThw: [1, gridH, gridW], resized: { height: H, width: W } };
}

/**
 * Runs the processor that `cfg.kind` names: {@link clipPixelValues}, {@link llavaNextPixelValues}
 * or {@link qwen2VlPixelValues}.
 *
 * @param image - decoded RGB
 * @param cfg - settings from {@link parseImageProcessorConfig}
 * @returns the processor's output, discriminated by `kind`
 * @throws {@link @resprune/errors!ResPruneError} as the chosen processor does; `E_INVALID_OPTION`
 *   for an unknown `kind`
 * @example
 * ```ts
 * const out = preprocessImage(img, parseImageProcessorConfig(preprocessorJson));
 * if (out.kind === 'qwen2-vl') console.log(out.imageGridThw);
 * ```
 */
export function preprocessImage(image: RgbImage, cfg: ImageProcessorConfig): ProcessedImage {
  switch (cfg.kind) {
    case 'clip':
      return clipPixelValues(image, cfg);
    case 'llava-next':
      return llavaNextPixelValues(image, cfg);
    case 'qwen2-vl':
      return qwen2VlPixelValues(image, cfg);
    default:
      throw new ResPruneError('E_INVALID_OPTION', `preprocessImage: unknown processor kind ${JSON.stringify((cfg as { kind?: unknown }).kind)}`);
  }
}
