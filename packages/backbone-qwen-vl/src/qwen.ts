import { ResPruneError } from '@resprune/errors';
import {
  configField,
  createAdapter,
  defineBackbone,
  readInt,
  readObject,
  readTokenId,
  type BackboneAdapter,
  type BackboneSpec,
  type HfConfigLike,
} from '@resprune/backbones';
import { DEFAULT_RESIZE_LIMITS, smartResize } from './smart-resize.js';

/** npm package name, shown in registry messages. */
const PACKAGE = '@resprune/backbone-qwen-vl';

/**
 * A member of the Qwen-VL family: the spec id and the `model_type` it claims. Image tokens,
 * smart resize and M-RoPE ids for images are the same across the family (the members differ in
 * their vision towers and in video timing, which do not change the image layout).
 *
 * @example
 * ```ts
 * const family: QwenVlFamily = { id: 'qwen2.5-vl', modelType: 'qwen2_5_vl' };
 * ```
 */
export interface QwenVlFamily {
  /** Spec id, e.g. `qwen2.5-vl`. */
  readonly id: string;
  /** Hugging Face `model_type`, e.g. `qwen2_5_vl`. */
  readonly modelType: string;
}

/**
 * What a Qwen-VL adapter reads from `config.json` and `preprocessor_config.json`.
 *
 * @example
 * ```ts
 * parseQwenVlConfig(configJson, preprocessorJson);
 * // { patchSize: 14, mergeSize: 2, minPixels: 3136, maxPixels: 12845056, imageTokenId: 151655, ... }
 * ```
 */
export interface QwenVlConfig {
  /** ViT patch size in pixels (14). */
  readonly patchSize: number;
  /** Spatial merge size (2: each LLM token covers 2×2 patches, 28×28 px). */
  readonly mergeSize: number;
  /** Smallest resized area in pixels. */
  readonly minPixels: number;
  /** Largest resized area in pixels. */
  readonly maxPixels: number;
  /** `image_token_id` (`<|image_pad|>`, 151655), when present. */
  readonly imageTokenId: number | undefined;
  /** `vision_start_token_id` (`<|vision_start|>`, 151652), when present. */
  readonly visionStartTokenId: number | undefined;
  /** `vision_end_token_id` (`<|vision_end|>`, 151653), when present. */
  readonly visionEndTokenId: number | undefined;
}

function agree(a: number | undefined, b: number | undefined, what: string): number | undefined {
  if (a !== undefined && b !== undefined && a !== b) {
    throw new ResPruneError(
      'E_BACKBONE_CONFIG',
      `preprocessor_config.json says ${what} is ${b} but config.json vision_config says ${a}; they must agree`,
    );
  }
  return b ?? a;
}

function optionalInt(config: HfConfigLike | undefined, path: string, file: string): number | undefined {
  if (config === undefined || configField(config, path) === undefined) return undefined;
  return readInt(config, path, { file });
}

/**
 * Reads a Qwen2-VL / Qwen2.5-VL config. Patch and merge sizes come from `vision_config`
 * (`patch_size`, `spatial_merge_size`) and, when given, the preprocessor (`patch_size`,
 * `merge_size`), which must agree. Pixel bounds come from the preprocessor (`min_pixels` /
 * `max_pixels`, or `size.shortest_edge` / `size.longest_edge`); without a preprocessor config,
 * transformers' defaults apply (56·56 and 28·28·1280). The published Qwen2.5-VL-7B-Instruct
 * preprocessor raises the maximum to 12 845 056 pixels (16 384 tokens).
 *
 * @param raw - parsed `config.json`
 * @param preprocessor - parsed `preprocessor_config.json` (optional)
 * @returns the parsed config
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` naming the missing or inconsistent field
 * @example
 * ```ts
 * parseQwenVlConfig({ model_type: 'qwen2_5_vl', vision_config: { patch_size: 14, spatial_merge_size: 2 } }).maxPixels; // 1003520
 * ```
 */
export function parseQwenVlConfig(raw: HfConfigLike, preprocessor?: HfConfigLike): QwenVlConfig {
  readObject(raw, 'vision_config');
  const patchFromConfig = readInt(raw, 'vision_config.patch_size');
  const mergeFromConfig = readInt(raw, 'vision_config.spatial_merge_size');
  const P = 'preprocessor_config.json';
  const patchSize = agree(patchFromConfig, optionalInt(preprocessor, 'patch_size', P), 'patch_size')!;
  const mergeSize = agree(mergeFromConfig, optionalInt(preprocessor, 'merge_size', P), 'merge_size')!;
  const minPixels =
    optionalInt(preprocessor, 'min_pixels', P) ?? optionalInt(preprocessor, 'size.shortest_edge', P) ?? DEFAULT_RESIZE_LIMITS.minPixels;
  const maxPixels =
    optionalInt(preprocessor, 'max_pixels', P) ?? optionalInt(preprocessor, 'size.longest_edge', P) ?? DEFAULT_RESIZE_LIMITS.maxPixels;
  if (minPixels > maxPixels) {
    throw new ResPruneError(
      'E_BACKBONE_CONFIG',
      `preprocessor_config.json: min_pixels ${minPixels} exceeds max_pixels ${maxPixels}`,
    );
  }
  const factor = patchSize * mergeSize;
  if (maxPixels < factor * factor) {
    throw new ResPruneError(
      'E_BACKBONE_CONFIG',
      `preprocessor_config.json: max_pixels ${maxPixels} is below one ${factor}x${factor} token`,
    );
  }
  return {
    patchSize,
    mergeSize,
    minPixels,
    maxPixels,
    imageTokenId: readTokenId(raw, ['image_token_id']),
    visionStartTokenId: readTokenId(raw, ['vision_start_token_id']),
    visionEndTokenId: readTokenId(raw, ['vision_end_token_id']),
  };
}

/**
 * Builds a Qwen-VL adapter: each image is smart-resized to multiples of patch × merge (28 px), and
 * each 28×28 block becomes one token, in row-major order: one `image` view of
 * `(height / 28) × (width / 28)` tokens (1008×1008 → 36×36 = 1296). Positions are M-RoPE: kept tokens
 * keep their original (t, h, w) ids; text after an image resumes after its original span.
 *
 * @param family - spec id and `model_type`
 * @param config - the parsed config
 * @returns the adapter
 * @example
 * ```ts
 * createQwenVlAdapter({ id: 'qwen2.5-vl', modelType: 'qwen2_5_vl' }, parseQwenVlConfig(configJson, preprocessorJson))
 *   .imageTokenCount({ width: 1008, height: 1008 }); // 1296
 * ```
 */
export function createQwenVlAdapter(family: QwenVlFamily, config: QwenVlConfig): BackboneAdapter {
  const factor = config.patchSize * config.mergeSize;
  const limits = { factor, minPixels: config.minPixels, maxPixels: config.maxPixels };
  return createAdapter({
    id: family.id,
    modelType: family.modelType,
    positionScheme: 'mrope',
    imageTokenId: config.imageTokenId,
    defaults: { policy: 'global', newlines: 'drop' },
    imageLayout: ({ width, height }) => {
      const resized = smartResize(height, width, limits);
      return {
        views: [{ name: 'image', rows: resized.height / factor, cols: resized.width / factor }],
        details: {
          resized: { height: resized.height, width: resized.width },
          gridThw: [1, resized.height / config.patchSize, resized.width / config.patchSize],
        },
      };
    },
  });
}

/**
 * Defines the spec of one Qwen-VL family member. This is all a new member with the same image
 * pipeline needs (see docs/guide/adding-a-backbone.md).
 *
 * @param family - spec id and `model_type`
 * @returns the spec
 * @example
 * ```ts
 * export const qwen2vl = defineQwenVl({ id: 'qwen2-vl', modelType: 'qwen2_vl' });
 * ```
 */
export function defineQwenVl(family: QwenVlFamily): BackboneSpec<QwenVlConfig> {
  return defineBackbone({
    id: family.id,
    modelTypes: [family.modelType],
    package: PACKAGE,
    parseConfig: parseQwenVlConfig,
    create: (config) => createQwenVlAdapter(family, config),
  });
}

/**
 * Qwen2.5-VL (`model_type: qwen2_5_vl`, e.g. `Qwen/Qwen2.5-VL-7B-Instruct`).
 *
 * @example
 * ```ts
 * const adapter = new BackboneRegistry().register(qwen25vl).fromConfig(configJson, preprocessorJson);
 * adapter.layout({ width: 1008, height: 1008 }).tokens; // 1296
 * ```
 */
export const qwen25vl: BackboneSpec<QwenVlConfig> = defineQwenVl({ id: 'qwen2.5-vl', modelType: 'qwen2_5_vl' });

/**
 * Qwen2-VL (`model_type: qwen2_vl`, e.g. `Qwen/Qwen2-VL-7B-Instruct`). Same image processor, merge
 * and image M-RoPE ids as Qwen2.5-VL (the towers differ, and so does video timing, which images do
 * not use).
 *
 * @example
 * ```ts
 * const adapter = new BackboneRegistry().register(qwen2vl).fromConfig(configJson, preprocessorJson);
 * adapter.layout({ width: 1008, height: 1008 }).tokens; // 1296
 * ```
 */
export const qwen2vl: BackboneSpec<QwenVlConfig> = defineQwenVl({ id: 'qwen2-vl', modelType: 'qwen2_vl' });
