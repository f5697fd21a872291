import { ResPruneError } from '@resprune/errors';
import {
  configField,
  createAdapter,
  defineBackbone,
  readChoice,
  readInt,
  readIntPairs,
  readObject,
  readTokenId,
  type BackboneAdapter,
  type BackboneSpec,
  type HfConfigLike,
  type ImageSize,
  type ViewSpec,
} from '@resprune/backbones';
import { selectBestResolution, unpaddedGrid } from './anyres.js';

/** npm package name, shown in registry messages. */
const PACKAGE = '@resprune/backbone-llava';

/**
 * What the LLaVA-1.5 adapter reads from `config.json` (and `preprocessor_config.json`).
 *
 * @example
 * ```ts
 * const config: Llava15Config = parseLlava15Config(configJson, preprocessorJson);
 * ```
 */
export interface Llava15Config {
  /** `vision_config.patch_size` (14). */
  readonly patchSize: number;
  /** `vision_config.image_size` (336). */
  readonly imageSize: number;
  /** Size of the processed (center-cropped) image: the preprocessor's `crop_size`, else `image_size`. */
  readonly processed: { readonly height: number; readonly width: number };
  /** `vision_feature_select_strategy`: `default` drops the first token (CLS), `full` keeps all. */
  readonly strategy: 'default' | 'full';
  /** Whether the tower emits a CLS token (CLIP: yes; SigLIP, `vision_config.model_type: siglip_vision_model`: no). */
  readonly hasCls: boolean;
  /** `image_token_index` (32000), when present. */
  readonly imageTokenId: number | undefined;
}

/**
 * What the LLaVA-NeXT adapter reads from `config.json` (and `preprocessor_config.json`).
 *
 * @example
 * ```ts
 * const config: LlavaNextConfig = parseLlavaNextConfig(configJson);
 * config.pinpoints; // [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
 * ```
 */
export interface LlavaNextConfig {
  /** `vision_config.patch_size` (14). */
  readonly patchSize: number;
  /** Crop (tile) side in pixels: `vision_config.image_size` (336), equal to the preprocessor `crop_size`. */
  readonly tileSize: number;
  /** `image_grid_pinpoints` as `[height, width]` pairs. */
  readonly pinpoints: ReadonlyArray<readonly [number, number]>;
  /** `image_token_index` (32000), when present. */
  readonly imageTokenId: number | undefined;
}

function cropSize(preprocessor: HfConfigLike): { height: number; width: number } | undefined {
  const crop = configField(preprocessor, 'crop_size');
  if (crop === undefined) return undefined;
  if (typeof crop === 'number') {
    const side = readInt(preprocessor, 'crop_size', { file: 'preprocessor_config.json' });
    return { height: side, width: side };
  }
  return {
    height: readInt(preprocessor, 'crop_size.height', { file: 'preprocessor_config.json' }),
    width: readInt(preprocessor, 'crop_size.width', { file: 'preprocessor_config.json' }),
  };
}

function configError(message: string): ResPruneError {
  return new ResPruneError('E_BACKBONE_CONFIG', message);
}

/**
 * Whether the vision tower emits a CLS token before its patch tokens: CLIP does, SigLIP does not.
 * transformers counts it as `num_additional_image_tokens` (1 for CLIP, 0 for SigLIP); the
 * `default` strategy drops the first token, `full` keeps every token.
 */
function towerHasCls(raw: HfConfigLike): boolean {
  const type = configField(raw, 'vision_config.model_type');
  return !(typeof type === 'string' && type.startsWith('siglip'));
}

/**
 * Reads a LLaVA-1.5 (`model_type: llava`) config. The vision tower's `image_size` and `patch_size`
 * are required (no CLIP defaults are guessed).
 *
 * @param raw - parsed `config.json`
 * @param preprocessor - parsed `preprocessor_config.json` (optional; its `crop_size` must match)
 * @returns the parsed config
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` naming the missing or inconsistent field
 * @example
 * ```ts
 * parseLlava15Config({ model_type: 'llava', vision_config: { image_size: 336, patch_size: 14 } });
 * ```
 */
export function parseLlava15Config(raw: HfConfigLike, preprocessor?: HfConfigLike): Llava15Config {
  readObject(raw, 'vision_config');
  const imageSize = readInt(raw, 'vision_config.image_size');
  const patchSize = readInt(raw, 'vision_config.patch_size');
  const strategy = readChoice(raw, 'vision_feature_select_strategy', ['default', 'full'] as const, 'default');
  const hasCls = towerHasCls(raw);
  if (!hasCls && strategy === 'default') {
    throw configError(
      'config.json: "vision_feature_select_strategy" is "default" with a SigLIP tower, which has no CLS token to drop; SigLIP LLaVA models use "full"',
    );
  }
  let processed = { height: imageSize, width: imageSize };
  if (preprocessor !== undefined) {
    if (configField(preprocessor, 'do_center_crop') === false) {
      throw configError(
        'preprocessor_config.json: "do_center_crop" is false; LLaVA-1.5 needs the square center crop its vision tower was built for',
      );
    }
    const crop = cropSize(preprocessor);
    if (crop !== undefined) processed = crop;
    if (processed.height !== imageSize || processed.width !== imageSize) {
      throw configError(
        `preprocessor_config.json: "crop_size" is ${processed.width}x${processed.height} but config.json vision_config.image_size is ${imageSize}; they must agree`,
      );
    }
  }
  if (imageSize < patchSize) {
    throw configError(`config.json: vision_config.image_size ${imageSize} is smaller than patch_size ${patchSize}`);
  }
  return { patchSize, imageSize, processed, strategy, hasCls, imageTokenId: readTokenId(raw, ['image_token_index', 'image_token_id']) };
}

/**
 * Reads a LLaVA-NeXT (`model_type: llava_next`) config: vision `image_size` and `patch_size`, and
 * `image_grid_pinpoints` (from `config.json`; when the preprocessor also lists them, they must be the
 * same, since the processor counts tokens with its list and the model packs features with the
 * config's).
 *
 * @param raw - parsed `config.json`
 * @param preprocessor - parsed `preprocessor_config.json` (optional)
 * @returns the parsed config
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` naming the missing or inconsistent
 *   field; also when the strategy leaves a CLS token in (CLIP with `full`) or drops a patch (SigLIP
 *   with `default`): transformers packs square patch grids per crop and cannot pack those
 * @example
 * ```ts
 * parseLlavaNextConfig(configJson).pinpoints.length; // 5
 * ```
 */
export function parseLlavaNextConfig(raw: HfConfigLike, preprocessor?: HfConfigLike): LlavaNextConfig {
  readObject(raw, 'vision_config');
  const tileSize = readInt(raw, 'vision_config.image_size');
  const patchSize = readInt(raw, 'vision_config.patch_size');
  const strategy = readChoice(raw, 'vision_feature_select_strategy', ['default', 'full'] as const, 'default');
  const hasCls = towerHasCls(raw);
  if (hasCls !== (strategy === 'default')) {
    throw configError(
      hasCls
        ? 'config.json: "vision_feature_select_strategy" is "full" with a CLIP tower; LLaVA-NeXT packs square patch grids per crop and needs "default" (CLS dropped)'
        : 'config.json: "vision_feature_select_strategy" is "default" with a SigLIP tower, which has no CLS token to drop; LLaVA-NeXT needs "full" there',
    );
  }
  const fromConfig = configField(raw, 'image_grid_pinpoints') === undefined ? undefined : readIntPairs(raw, 'image_grid_pinpoints');
  const fromPreprocessor =
    preprocessor === undefined || configField(preprocessor, 'image_grid_pinpoints') === undefined
      ? undefined
      : readIntPairs(preprocessor, 'image_grid_pinpoints', 'preprocessor_config.json');
  const pinpoints = fromConfig ?? fromPreprocessor;
  if (pinpoints === undefined) {
    throw configError('config.json: "image_grid_pinpoints" is missing; expected a non-empty list of [height, width] pairs');
  }
  if (fromConfig !== undefined && fromPreprocessor !== undefined && JSON.stringify(fromConfig) !== JSON.stringify(fromPreprocessor)) {
    throw configError(
      `config.json and preprocessor_config.json list different "image_grid_pinpoints" (${JSON.stringify(fromConfig)} vs ${JSON.stringify(fromPreprocessor)})`,
    );
  }
  for (const [h, w] of pinpoints) {
    if (h < tileSize || w < tileSize) {
      throw configError(
        `config.json: pinpoint [${h}, ${w}] is smaller than one ${tileSize}-px crop; every pinpoint side must be at least vision_config.image_size`,
      );
    }
  }
  if (preprocessor !== undefined) {
    const crop = cropSize(preprocessor);
    if (crop !== undefined && (crop.height !== tileSize || crop.width !== tileSize)) {
      throw configError(
        `preprocessor_config.json: "crop_size" is ${crop.width}x${crop.height} but config.json vision_config.image_size is ${tileSize}; they must agree`,
      );
    }
  }
  if (tileSize < patchSize) {
    throw configError(`config.json: vision_config.image_size ${tileSize} is smaller than patch_size ${patchSize}`);
  }
  return { patchSize, tileSize, pinpoints, imageTokenId: readTokenId(raw, ['image_token_index', 'image_token_id']) };
}

/**
 * Builds the LLaVA-1.5 adapter. Every image becomes the same grid (HF resizes the shortest edge and
 * center-crops to 336 px): `(336 / 14)² = 576` tokens in one `image` view, plus a leading 1×1 `cls`
 * view when a CLIP tower's CLS is kept (`full`). Positions are re-indexed contiguously after pruning.
 *
 * @param config - the parsed config
 * @returns the adapter
 * @example
 * ```ts
 * createLlava15Adapter(parseLlava15Config(configJson)).imageTokenCount({ width: 640, height: 480 }); // 576
 * ```
 */
export function createLlava15Adapter(config: Llava15Config): BackboneAdapter {
  const rows = Math.floor(config.processed.height / config.patchSize);
  const cols = Math.floor(config.processed.width / config.patchSize);
  const views: ViewSpec[] = [
    ...(config.hasCls && config.strategy === 'full' ? [{ name: 'cls', rows: 1, cols: 1 }] : []),
    { name: 'image', rows, cols },
  ];
  return createAdapter({
    id: 'llava-1.5',
    modelType: 'llava',
    positionScheme: 'sequential',
    imageTokenId: config.imageTokenId,
    defaults: { policy: 'global', newlines: 'drop' },
    imageLayout: () => ({ views, details: { processed: { ...config.processed } } }),
  });
}

/**
 * The LLaVA-NeXT geometry of one image: chosen resolution, crop grid and unpadded token grid.
 *
 * @param config - the parsed config
 * @param image - the original image size
 * @returns the geometry and the token count (`side² + rows × (cols + 1)`)
 * @example
 * ```ts
 * llavaNextGeometry(config, { width: 1100, height: 808 }).tokens; // 2340
 * ```
 */
export function llavaNextGeometry(
  config: LlavaNextConfig,
  image: ImageSize,
): {
  readonly bestResolution: { readonly height: number; readonly width: number };
  readonly crops: { readonly rows: number; readonly cols: number };
  readonly side: number;
  readonly unpadded: { readonly rows: number; readonly cols: number; readonly top: number; readonly left: number };
  readonly tokens: number;
} {
  const side = Math.floor(config.tileSize / config.patchSize);
  const bestResolution = selectBestResolution(image, config.pinpoints);
  const crops = {
    rows: Math.floor(bestResolution.height / config.tileSize),
    cols: Math.floor(bestResolution.width / config.tileSize),
  };
  const unpadded = unpaddedGrid(image, side * crops.rows, side * crops.cols);
  return { bestResolution, crops, side, unpadded, tokens: side * side + unpadded.rows * (unpadded.cols + 1) };
}

/**
 * Builds the LLaVA-NeXT adapter. Each image becomes a `side × side` base view (the whole image at
 * 336 px) followed by the crop grid chosen from `image_grid_pinpoints`, unpadded to the image's
 * aspect ratio, with one `image_newline` token after each row. The count equals the placeholders
 * transformers' `LlavaNextProcessor` inserts (`base + unpadded + newlines`, CLS dropped).
 * Defaults: one global budget per image, newline tokens dropped.
 *
 * @param config - the parsed config
 * @returns the adapter
 * @example
 * ```ts
 * createLlavaNextAdapter(parseLlavaNextConfig(configJson)).imageTokenCount({ width: 1100, height: 808 }); // 2340
 * ```
 */
export function createLlavaNextAdapter(config: LlavaNextConfig): BackboneAdapter {
  return createAdapter({
    id: 'llava-next',
    modelType: 'llava_next',
    positionScheme: 'sequential',
    imageTokenId: config.imageTokenId,
    defaults: { policy: 'global', newlines: 'drop' },
    imageLayout: (image) => {
      const g = llavaNextGeometry(config, image);
      return {
        views: [
          { name: 'base', rows: g.side, cols: g.side },
          {
            name: 'crops',
            rows: g.unpadded.rows,
            cols: g.unpadded.cols,
            newlineAfterRow: true,
            crops: {
              rows: g.crops.rows,
              cols: g.crops.cols,
              cropRows: g.side,
              cropCols: g.side,
              offsetRow: g.unpadded.top,
              offsetCol: g.unpadded.left,
            },
          },
        ],
        details: {
          bestResolution: g.bestResolution,
          crops: g.crops,
          unpadded: { rows: g.unpadded.rows, cols: g.unpadded.cols },
          padding: { top: g.unpadded.top, left: g.unpadded.left },
        },
      };
    },
  });
}

/**
 * LLaVA-1.5 (`model_type: llava`, e.g. `llava-hf/llava-1.5-7b-hf`): 576 visual tokens per image.
 *
 * @example
 * ```ts
 * const adapter = new BackboneRegistry().register(llava15).fromConfig(configJson);
 * ```
 */
export const llava15: BackboneSpec<Llava15Config> = defineBackbone({
  id: 'llava-1.5',
  modelTypes: ['llava'],
  package: PACKAGE,
  parseConfig: parseLlava15Config,
  create: createLlava15Adapter,
});

/**
 * LLaVA-NeXT / LLaVA-1.6 (`model_type: llava_next`, e.g. `llava-hf/llava-v1.6-mistral-7b-hf`):
 * anyres base view plus unpadded crops with a newline per row.
 *
 * @example
 * ```ts
 * const adapter = new BackboneRegistry().register(llavaNext).fromConfig(configJson);
 * adapter.layout({ width: 1100, height: 808 }).tokens; // 2340
 * ```
 */
export const llavaNext: BackboneSpec<LlavaNextConfig> = defineBackbone({
  id: 'llava-next',
  modelTypes: ['llava_next'],
  package: PACKAGE,
  parseConfig: parseLlavaNextConfig,
  create: createLlavaNextAdapter,
});
