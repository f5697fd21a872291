import { ResPruneError } from '@resprune/errors';
import { PilResample, type PilResampleFilter } from './resample.js';

/** `OPENAI_CLIP_MEAN` of transformers, the default `image_mean` of all three processors. */
export const OPENAI_CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** `OPENAI_CLIP_STD` of transformers, the default `image_std`. */
export const OPENAI_CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** A target size as HF's `get_size_dict` normalises it. */
export type SizeSpec = { readonly shortestEdge: number } | { readonly height: number; readonly width: number };

/** Settings shared by the three processors (HF `BaseImageProcessor` fields). */
export interface CommonProcessorConfig {
  /** `do_resize` (default true). */
  readonly doResize: boolean;
  /** `resample` (default 3, bicubic). */
  readonly resample: PilResampleFilter;
  /** `do_rescale` (default true). */
  readonly doRescale: boolean;
  /** `rescale_factor` (default 1/255). */
  readonly rescaleFactor: number;
  /** `do_normalize` (default true). */
  readonly doNormalize: boolean;
  /** `image_mean` (default OPENAI_CLIP_MEAN). */
  readonly imageMean: readonly [number, number, number];
  /** `image_std` (default OPENAI_CLIP_STD). */
  readonly imageStd: readonly [number, number, number];
  /** `do_convert_rgb` (default true). Our inputs are RGB already; kept for completeness. */
  readonly doConvertRgb: boolean;
}

/**
 * `CLIPImageProcessor` settings (LLaVA-1.5), also `LlavaImageProcessor` (which adds `do_pad`).
 *
 * @example
 * ```ts
 * const cfg = parseClipConfig({ size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 } });
 * ```
 */
export interface ClipProcessorConfig extends CommonProcessorConfig {
  /** Discriminant. */
  readonly kind: 'clip';
  /** `size` (default `{ shortest_edge: 224 }`). */
  readonly size: SizeSpec;
  /** `do_center_crop` (default true). */
  readonly doCenterCrop: boolean;
  /** `crop_size` (default 224 × 224). */
  readonly cropSize: { readonly height: number; readonly width: number };
  /**
   * `LlavaImageProcessor.do_pad`: pad to a square with `int(mean · 255)` before resizing. Always
   * false for `CLIPImageProcessor`, which has no such step.
   */
  readonly padToSquare: boolean;
}

/**
 * `LlavaNextImageProcessor` settings (LLaVA-NeXT anyres).
 *
 * @example
 * ```ts
 * const cfg = parseLlavaNextConfig(preprocessorJson);
 * cfg.imageGridPinpoints; // [[336, 672], [672, 336], ...]
 * ```
 */
export interface LlavaNextProcessorConfig extends Omit<ClipProcessorConfig, 'kind' | 'padToSquare'> {
  /** Discriminant. */
  readonly kind: 'llava-next';
  /** `image_grid_pinpoints`, `[height, width]` pairs. */
  readonly imageGridPinpoints: ReadonlyArray<readonly [number, number]>;
}

/**
 * `Qwen2VLImageProcessor` settings (Qwen2-VL and Qwen2.5-VL).
 *
 * @example
 * ```ts
 * const cfg = parseQwen2VlConfig({ min_pixels: 3136, max_pixels: 12845056 });
 * ```
 */
export interface Qwen2VlProcessorConfig extends CommonProcessorConfig {
  /** Discriminant. */
  readonly kind: 'qwen2-vl';
  /** `min_pixels` (or `size.shortest_edge`), default 56·56. */
  readonly minPixels: number;
  /** `max_pixels` (or `size.longest_edge`), default 28·28·1280. */
  readonly maxPixels: number;
  /** `patch_size` (default 14). */
  readonly patchSize: number;
  /** `temporal_patch_size` (default 2). */
  readonly temporalPatchSize: number;
  /** `merge_size` (default 2). */
  readonly mergeSize: number;
}

/** Any supported processor's settings. */
export type ImageProcessorConfig = ClipProcessorConfig | LlavaNextProcessorConfig | Qwen2VlProcessorConfig;

/** The `image_processor_type` values {@link parseImageProcessorConfig} accepts. */
export const SUPPORTED_PROCESSOR_TYPES = ['CLIPImageProcessor', 'LlavaImageProcessor', 'LlavaNextImageProcessor', 'Qwen2VLImageProcessor'] as const;

type Raw = Readonly<Record<string, unknown>>;

function bad(field: string, got: unknown, expected: string): ResPruneError {
  let shown: string;
  try {
    shown = JSON.stringify(got) ?? String(got);
  } catch {
    shown = String(got);
  }
  return new ResPruneError('E_CHECKPOINT', `preprocessor_config.json: "${field}" must be ${expected}, got ${shown}`, { details: { field } });
}

function asObject(raw: unknown): Raw {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ResPruneError('E_CHECKPOINT', `preprocessor_config.json: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : String(raw)}`);
  }
  return raw as Raw;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function bool(r: Raw, key: string, def: boolean): boolean {
  const v = r[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw bad(key, v, 'true or false');
  return v;
}

function posInt(r: Raw, key: string, def: number): number {
  const v = r[key];
  if (v === undefined || v === null) return def;
  if (!isPosInt(v)) throw bad(key, v, 'a positive integer');
  return v;
}

function triple(r: Raw, key: string, def: readonly [number, number, number], positive: boolean): readonly [number, number, number] {
  let v = r[key];
  if (v === undefined || v === null) return def;
  // HF accepts a single float and repeats it per channel.
  if (typeof v === 'number') v = [v, v, v];
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
    throw bad(key, r[key], `a list of 3 finite${positive ? ' positive' : ''} numbers`);
  }
  return [v[0] as number, v[1] as number, v[2] as number];
}

function common(r: Raw): CommonProcessorConfig {
  const resample = r['resample'] ?? PilResample.BICUBIC;
  if (!(Object.values(PilResample) as unknown[]).includes(resample)) {
    throw bad('resample', resample, `one of ${Object.entries(PilResample).map(([n, v]) => `${v} (${n})`).join(', ')}`);
  }
  const rf = r['rescale_factor'] ?? 1 / 255;
  if (typeof rf !== 'number' || !Number.isFinite(rf)) throw bad('rescale_factor', rf, 'a finite number');
  return {
    doResize: bool(r, 'do_resize', true),
    resample: resample as PilResampleFilter,
    doRescale: bool(r, 'do_rescale', true),
    rescaleFactor: rf,
    doNormalize: bool(r, 'do_normalize', true),
    imageMean: triple(r, 'image_mean', OPENAI_CLIP_MEAN, false),
    imageStd: triple(r, 'image_std', OPENAI_CLIP_STD, true),
    doConvertRgb: bool(r, 'do_convert_rgb', true),
  };
}

/** HF `get_size_dict(size, default_to_square=False)`. */
function sizeSpec(r: Raw, key: string, def: SizeSpec): SizeSpec {
  const v = r[key];
  if (v === undefined || v === null) return def;
  if (isPosInt(v)) return { shortestEdge: v };
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Raw;
    if (o['shortest_edge'] !== undefined) {
      if (!isPosInt(o['shortest_edge'])) throw bad(`${key}.shortest_edge`, o['shortest_edge'], 'a positive integer');
      return { shortestEdge: o['shortest_edge'] };
    }
    if (isPosInt(o['height']) && isPosInt(o['width'])) return { height: o['height'], width: o['width'] };
  }
  throw bad(key, v, 'a positive integer, { "shortest_edge": n } or { "height": h, "width": w }');
}

/** HF `get_size_dict(crop_size, default_to_square=True)`. */
function cropSpec(r: Raw, key: string): { readonly height: number; readonly width: number } {
  const v = r[key];
  if (v === undefined || v === null) return { height: 224, width: 224 };
  if (isPosInt(v)) return { height: v, width: v };
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Raw;
    if (isPosInt(o['height']) && isPosInt(o['width'])) return { height: o['height'], width: o['width'] };
  }
  throw bad(key, v, 'a positive integer or { "height": h, "width": w }');
}

/**
 * Reads `CLIPImageProcessor` (or `LlavaImageProcessor`) settings from a parsed
 * `preprocessor_config.json`, with transformers' defaults for absent fields.
 *
 * @param raw - the parsed JSON object
 * @returns the typed settings
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` for a malformed field (the message
 *   names it and what was expected)
 * @example
 * ```ts
 * parseClipConfig({ size: { shortest_edge: 336 }, crop_size: 336 }).cropSize; // { height: 336, width: 336 }
 * ```
 */
export function parseClipConfig(raw: unknown): ClipProcessorConfig {
  const r = asObject(raw);
  return {
    kind: 'clip',
    ...common(r),
    size: sizeSpec(r, 'size', { shortestEdge: 224 }),
    doCenterCrop: bool(r, 'do_center_crop', true),
    cropSize: cropSpec(r, 'crop_size'),
    padToSquare: r['image_processor_type'] === 'LlavaImageProcessor' && bool(r, 'do_pad', false),
  };
}

/**
 * Reads `LlavaNextImageProcessor` settings from a parsed `preprocessor_config.json`.
 *
 * @param raw - the parsed JSON object
 * @returns the typed settings
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` for a malformed field, including
 *   an empty or non-integer `image_grid_pinpoints`
 * @example
 * ```ts
 * parseLlavaNextConfig({ image_grid_pinpoints: [[336, 672], [672, 336]] }).imageGridPinpoints.length; // 2
 * ```
 */
export function parseLlavaNextConfig(raw: unknown): LlavaNextProcessorConfig {
  const r = asObject(raw);
  const gp = r['image_grid_pinpoints'] ?? [
    [336, 672],
    [672, 336],
    [672, 672],
    [1008, 336],
    [336, 1008],
  ];
  if (!Array.isArray(gp) || gp.length === 0 || !gp.every((p) => Array.isArray(p) && p.length === 2 && isPosInt(p[0]) && isPosInt(p[1]))) {
    throw bad('image_grid_pinpoints', gp, 'a non-empty list of [height, width] positive integer pairs');
  }
  const { kind: _kind, padToSquare: _pad, ...clip } = parseClipConfig(r);
  return { ...clip, kind: 'llava-next', imageGridPinpoints: (gp as [number, number][]).map(([h, w]) => [h, w] as const) };
}

/**
 * Reads `Qwen2VLImageProcessor` settings (Qwen2-VL, Qwen2.5-VL) from a parsed
 * `preprocessor_config.json`: `size.shortest_edge`/`size.longest_edge` are the pixel bounds, and
 * top-level `min_pixels`/`max_pixels` override them, as transformers does.
 *
 * @param raw - the parsed JSON object
 * @returns the typed settings
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` for a malformed field or
 *   `min_pixels > max_pixels`
 * @example
 * ```ts
 * parseQwen2VlConfig({ min_pixels: 3136, max_pixels: 12845056 }).maxPixels; // 12845056
 * ```
 */
export function parseQwen2VlConfig(raw: unknown): Qwen2VlProcessorConfig {
  const r = asObject(raw);
  let minPixels = 56 * 56;
  let maxPixels = 28 * 28 * 1280;
  const size = r['size'];
  if (size !== undefined && size !== null) {
    const s = typeof size === 'object' && !Array.isArray(size) ? (size as Raw) : {};
    if (!isPosInt(s['shortest_edge']) || !isPosInt(s['longest_edge'])) {
      throw bad('size', size, '{ "shortest_edge": min_pixels, "longest_edge": max_pixels }');
    }
    minPixels = s['shortest_edge'];
    maxPixels = s['longest_edge'];
  }
  minPixels = posInt(r, 'min_pixels', minPixels);
  maxPixels = posInt(r, 'max_pixels', maxPixels);
  if (minPixels > maxPixels) throw bad('min_pixels', minPixels, `at most max_pixels (${maxPixels})`);
  return {
    kind: 'qwen2-vl',
    ...common(r),
    minPixels,
    maxPixels,
    patchSize: posInt(r, 'patch_size', 14),
    temporalPatchSize: posInt(r, 'temporal_patch_size', 2),
    mergeSize: posInt(r, 'merge_size', 2),
  };
}

/**
 * Reads a `preprocessor_config.json` and picks the processor from its `image_processor_type`:
 * `CLIPImageProcessor` and `LlavaImageProcessor` → {@link parseClipConfig},
 * `LlavaNextImageProcessor` → {@link parseLlavaNextConfig}, `Qwen2VLImageProcessor` →
 * {@link parseQwen2VlConfig}.
 *
 * @param raw - the parsed JSON object
 * @returns the typed settings, discriminated by `kind`
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` for a missing or unsupported
 *   `image_processor_type` (the message lists {@link SUPPORTED_PROCESSOR_TYPES}) or a malformed field
 * @example
 * ```ts
 * const cfg = parseImageProcessorConfig(JSON.parse(readFileSync('preprocessor_config.json', 'utf8')));
 * cfg.kind; // 'clip' | 'llava-next' | 'qwen2-vl'
 * ```
 */
export function parseImageProcessorConfig(raw: unknown): ImageProcessorConfig {
  const r = asObject(raw);
  const type = r['image_processor_type'];
  switch (type) {
    case 'CLIPImageProcessor':
    case 'LlavaImageProcessor':
      return parseClipConfig(r);
    case 'LlavaNextImageProcessor':
      return parseLlavaNextConfig(r);
    case 'Qwen2VLImageProcessor':
      return parseQwen2VlConfig(r);
    default:
      throw bad('image_processor_type', type, `one of ${SUPPORTED_PROCESSOR_TYPES.join(', ')} (the slow, PIL-based processors)`);
  }
}
