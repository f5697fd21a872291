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
  type ImageSize,
  type ViewSpec,
} from '@resprune/backbones';

/** npm package name, shown in registry messages. */
const PACKAGE = '@resprune/backbone-idefics3';

/**
 * transformers' absolute cap on the resized image (`MAX_IMAGE_SIZE` of
 * `image_processing_idefics3.py`): after the longest edge is scaled to `size.longest_edge`, a side
 * above 4096 px is scaled down to it.
 *
 * @example
 * ```ts
 * IDEFICS3_MAX_IMAGE_SIZE; // 4096
 * ```
 */
export const IDEFICS3_MAX_IMAGE_SIZE = 4096;

/**
 * transformers' `Idefics3ImageProcessor` defaults, applied only where transformers applies them: a
 * `preprocessor_config.json` (or, without one, `vision_config`) that leaves a field out.
 *
 * @example
 * ```ts
 * IDEFICS3_PROCESSOR_DEFAULTS.longestEdge; // 1456 (4 · 364)
 * ```
 */
export const IDEFICS3_PROCESSOR_DEFAULTS = {
  /** `size.longest_edge`: 4 · 364. */
  longestEdge: 4 * 364,
  /** `max_image_size.longest_edge`: 364. */
  maxImageSize: 364,
  /** `do_resize`. */
  doResize: true,
  /** `do_image_splitting`. */
  doImageSplitting: true,
} as const;

/**
 * A member of the Idefics3 family: the spec id and the `model_type` it claims. SmolVLM is Idefics3
 * with another tower and LLM; its processor and the order of its image tokens are Idefics3's.
 *
 * @example
 * ```ts
 * const family: Idefics3Family = { id: 'smolvlm', modelType: 'smolvlm' };
 * ```
 */
export interface Idefics3Family {
  /** Spec id, e.g. `smolvlm`. */
  readonly id: string;
  /** Hugging Face `model_type`, e.g. `smolvlm`. */
  readonly modelType: string;
}

/**
 * What an Idefics3 / SmolVLM adapter reads from `config.json` and `preprocessor_config.json`.
 *
 * @example
 * ```ts
 * parseIdefics3Config(configJson, preprocessorJson);
 * // { tileSize: 512, patchSize: 16, scaleFactor: 4, tileGrid: 8, tokensPerTile: 64, longestEdge: 2048, ... }
 * ```
 */
export interface Idefics3Config {
  /** Side of a crop and of the global image in pixels: `max_image_size.longest_edge` (SmolVLM-256M: 512). */
  readonly tileSize: number;
  /** `vision_config.patch_size` (16 for SmolVLM, 14 for Idefics3-8B). */
  readonly patchSize: number;
  /** `scale_factor` of the pixel-shuffle connector (4 for SmolVLM, 2 for Idefics3-8B). */
  readonly scaleFactor: number;
  /** Token rows (= columns) of one tile: `tileSize / (patchSize · scaleFactor)` (8 for SmolVLM-256M). */
  readonly tileGrid: number;
  /** Tokens of one tile, `tileGrid²`: the processor's `image_seq_len` (64 for SmolVLM-256M, 169 for Idefics3-8B). */
  readonly tokensPerTile: number;
  /** `size.longest_edge`: the longest side an image is first scaled to (2048 for SmolVLM-256M). */
  readonly longestEdge: number;
  /** `do_resize`: whether that first scaling happens. */
  readonly doResize: boolean;
  /** `do_image_splitting`: whether images are cut into crops (else each image is one global tile). */
  readonly doImageSplitting: boolean;
  /** `image_token_id` (`<image>`: 49190 for SmolVLM, 128257 for Idefics3-8B), when present. */
  readonly imageTokenId: number | undefined;
}

function configError(message: string): ResPruneError {
  return new ResPruneError('E_BACKBONE_CONFIG', message);
}

function optionalInt(config: HfConfigLike | undefined, path: string, file: string): number | undefined {
  if (config === undefined || configField(config, path) === undefined) return undefined;
  return readInt(config, path, { file });
}

function optionalBool(config: HfConfigLike | undefined, path: string, file: string): boolean | undefined {
  if (config === undefined) return undefined;
  const value = configField(config, path);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new ResPruneError('E_BACKBONE_CONFIG', `${file}: "${path}" is ${JSON.stringify(value)}; expected true or false`, {
      details: { file, path, value },
    });
  }
  return value;
}

/**
 * Reads an Idefics3 or SmolVLM config. From `config.json`: `vision_config.image_size`,
 * `vision_config.patch_size` and `scale_factor` (all required: no tower defaults are guessed), and
 * `image_token_id`. From `preprocessor_config.json`: `max_image_size.longest_edge` (the crop side),
 * `size.longest_edge`, `do_resize`, `do_image_splitting`; fields it leaves out take transformers'
 * `Idefics3ImageProcessor` defaults (4·364, 364, resize, split). Without a preprocessor config, the
 * copies SmolVLM configs carry in `vision_config` (`max_image_size`, `size`) are read; where those are
 * absent the crop side is the tower's `image_size` and the longest edge transformers' default 4·364.
 *
 * The crop side must equal the tower's `image_size` (the tower's position embeddings are built for
 * it), and `image_size / patch_size` must be a multiple of `scale_factor`, so a tile becomes a whole
 * `(image_size / patch_size / scale_factor)²` grid of tokens. A preprocessor that also holds
 * `image_seq_len` (the processor config's field) must agree with that count.
 *
 * @param raw - parsed `config.json`
 * @param preprocessor - parsed `preprocessor_config.json` (optional)
 * @returns the parsed config
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` naming the missing or inconsistent field
 * @example
 * ```ts
 * parseIdefics3Config({
 *   model_type: 'smolvlm', scale_factor: 4, image_token_id: 49190,
 *   vision_config: { image_size: 512, patch_size: 16 },
 * }, { size: { longest_edge: 2048 }, max_image_size: { longest_edge: 512 } }).tokensPerTile; // 64
 * ```
 */
export function parseIdefics3Config(raw: HfConfigLike, preprocessor?: HfConfigLike): Idefics3Config {
  readObject(raw, 'vision_config');
  const imageSize = readInt(raw, 'vision_config.image_size');
  const patchSize = readInt(raw, 'vision_config.patch_size');
  const scaleFactor = readInt(raw, 'scale_factor');
  const P = 'preprocessor_config.json';
  const fromVision = (path: string): number | undefined => optionalInt(raw, `vision_config.${path}`, 'config.json');
  // Without a preprocessor config the crop side is the one the tower takes (they must agree anyway).
  const tileSize =
    preprocessor === undefined
      ? (fromVision('max_image_size.longest_edge') ?? imageSize)
      : (optionalInt(preprocessor, 'max_image_size.longest_edge', P) ?? IDEFICS3_PROCESSOR_DEFAULTS.maxImageSize);
  const longestEdge =
    (preprocessor === undefined ? fromVision('size.longest_edge') : optionalInt(preprocessor, 'size.longest_edge', P)) ??
    IDEFICS3_PROCESSOR_DEFAULTS.longestEdge;
  if (tileSize !== imageSize) {
    throw configError(
      `${preprocessor === undefined ? 'config.json: vision_config.max_image_size.longest_edge' : `${P}: max_image_size.longest_edge`} is ${tileSize} but config.json vision_config.image_size is ${imageSize}; the crops the processor cuts must be the size the vision tower takes`,
    );
  }
  if (imageSize % patchSize !== 0 || (imageSize / patchSize) % scaleFactor !== 0) {
    throw configError(
      `config.json: vision_config.image_size ${imageSize} / patch_size ${patchSize} is not a whole multiple of scale_factor ${scaleFactor}; the pixel shuffle needs a whole grid`,
    );
  }
  const tileGrid = imageSize / patchSize / scaleFactor;
  const tokensPerTile = tileGrid * tileGrid;
  const seqLen = optionalInt(preprocessor, 'image_seq_len', P);
  if (seqLen !== undefined && seqLen !== tokensPerTile) {
    throw configError(
      `${P}: image_seq_len is ${seqLen} but (image_size ${imageSize} / patch_size ${patchSize})² / scale_factor ${scaleFactor}² is ${tokensPerTile}; they must agree`,
    );
  }
  return {
    tileSize,
    patchSize,
    scaleFactor,
    tileGrid,
    tokensPerTile,
    longestEdge,
    doResize: optionalBool(preprocessor, 'do_resize', P) ?? IDEFICS3_PROCESSOR_DEFAULTS.doResize,
    doImageSplitting: optionalBool(preprocessor, 'do_image_splitting', P) ?? IDEFICS3_PROCESSOR_DEFAULTS.doImageSplitting,
    imageTokenId: readTokenId(raw, ['image_token_id']),
  };
}

/**
 * How transformers' `Idefics3ImageProcessor` sizes one image: the size it resizes to and the crop
 * grid. `rows = cols = 0` means no split (one global tile), as the processor reports it.
 *
 * @example
 * ```ts
 * const grid: Idefics3Grid = idefics3Grid({ width: 1100, height: 808 }, config);
 * ```
 */
export interface Idefics3Grid {
  /** Size after `resize` (longest edge) and `resize_for_vision_encoder` (multiples of the crop side). */
  readonly resized: ImageSize;
  /** Crop rows (`<row_r_col_c>` r runs 1 … rows); 0 without a split. */
  readonly rows: number;
  /** Crop columns; 0 without a split. */
  readonly cols: number;
}

/**
 * The crop grid of one image, following `Idefics3ImageProcessor.preprocess` step by step, with its
 * rounding (`int()` truncates, `math.ceil`):
 *
 * 1. `resize` with `size.longest_edge` (when `do_resize`): `_resize_output_size_rescale_to_max_len`
 *    scales the longest side to `longest_edge` and the other to `int(longest / aspect)`, bumped to an
 *    even number; then `_resize_output_size_scale_below_upper_bound` caps both at 4096.
 * 2. `resize_for_vision_encoder` (when `do_image_splitting`): the longer side (width on ties) is
 *    ceiled to a multiple of the crop side M; the other becomes `int(new / aspect)` ceiled to a
 *    multiple of M.
 * 3. `split_image`: when a side exceeds M, `ceil(h / M) × ceil(w / M)` crops plus the global image;
 *    else rows = cols = 0 (the image is one tile). Without splitting, the image is squared to M.
 *
 * (transformers' `get_number_of_image_patches` ceils the pre-step-2 height instead of the
 * `int(new / aspect)` of step 2; the processor's prompt follows `preprocess`, as here.)
 *
 * @param size - the image size in pixels
 * @param config - the parsed config
 * @returns the resized size and the crop grid
 * @example
 * ```ts
 * idefics3Grid({ width: 1100, height: 808 }, smolvlm256m); // resized 2048×1536: 3 rows × 4 cols
 * ```
 */
export function idefics3Grid(size: ImageSize, config: Idefics3Config): Idefics3Grid {
  let { width, height } = size;
  const M = config.tileSize;
  if (config.doResize) {
    const maxLen = config.longestEdge;
    let aspect = width / height;
    if (width >= height) {
      width = maxLen;
      height = Math.trunc(width / aspect);
      if (height % 2 !== 0) height += 1;
    } else {
      height = maxLen;
      width = Math.trunc(height * aspect);
      if (width % 2 !== 0) width += 1;
    }
    height = Math.max(height, 1);
    width = Math.max(width, 1);
    aspect = width / height;
    if (width >= height && width > IDEFICS3_MAX_IMAGE_SIZE) {
      width = IDEFICS3_MAX_IMAGE_SIZE;
      height = Math.trunc(width / aspect);
    } else if (height > width && height > IDEFICS3_MAX_IMAGE_SIZE) {
      height = IDEFICS3_MAX_IMAGE_SIZE;
      width = Math.trunc(height * aspect);
    }
    height = Math.max(height, 1);
    width = Math.max(width, 1);
  }
  if (!config.doImageSplitting) return { resized: { width: M, height: M }, rows: 0, cols: 0 };
  const aspect = width / height;
  if (width >= height) {
    width = Math.ceil(width / M) * M;
    height = Math.ceil(Math.trunc(width / aspect) / M) * M;
  } else {
    height = Math.ceil(height / M) * M;
    width = Math.ceil(Math.trunc(height * aspect) / M) * M;
  }
  const resized = { width, height };
  if (height > M || width > M) return { resized, rows: Math.ceil(height / M), cols: Math.ceil(width / M) };
  return { resized, rows: 0, cols: 0 };
}

/**
 * Builds an Idefics3 / SmolVLM adapter. An image becomes `rows × cols` crops and one global tile
 * (or the global tile alone), each a `tileGrid × tileGrid` block of tokens (the pixel-shuffled
 * patches, row-major), in the processor's order: crop (1,1), (1,2), …, then the global image. Each
 * tile is its own view (`crop_r_c`, 1-based like the `<row_r_col_c>` markers, and `global`), so
 * `per-view` and `per-crop` budgets give each crop its own quota. The LLM (Llama) numbers positions
 * 0 … L−1: after pruning, positions are re-numbered contiguously (`sequential`).
 *
 * In the prompt the placeholders of each tile form their own run: `<fake_token_around_image>`,
 * `<row_r_col_c>` (or `<global-img>`) and newlines sit between tiles. The adapter counts visual
 * tokens only; those marker tokens are text.
 *
 * @param family - spec id and `model_type`
 * @param config - the parsed config
 * @returns the adapter
 * @example
 * ```ts
 * createIdefics3Adapter({ id: 'smolvlm', modelType: 'smolvlm' }, parseIdefics3Config(configJson, preprocessorJson))
 *   .imageTokenCount({ width: 1100, height: 808 }); // (3 · 4 + 1) · 64 = 832
 * ```
 */
export function createIdefics3Adapter(family: Idefics3Family, config: Idefics3Config): BackboneAdapter {
  const g = config.tileGrid;
  return createAdapter({
    id: family.id,
    modelType: family.modelType,
    positionScheme: 'sequential',
    imageTokenId: config.imageTokenId,
    defaults: { policy: 'per-crop', newlines: 'drop' },
    imageLayout(image) {
      const grid = idefics3Grid(image, config);
      const views: ViewSpec[] = [];
      for (let r = 1; r <= grid.rows; r++) for (let c = 1; c <= grid.cols; c++) views.push({ name: `crop_${r}_${c}`, rows: g, cols: g });
      views.push({ name: 'global', rows: g, cols: g });
      return {
        views,
        details: { resized: grid.resized, rows: grid.rows, cols: grid.cols, tokensPerTile: config.tokensPerTile },
      };
    },
  });
}

/**
 * Defines a spec of the Idefics3 family (same processor and token order, another `model_type`).
 *
 * @param family - spec id and `model_type`
 * @returns the spec
 * @example
 * ```ts
 * const mine = defineIdefics3({ id: 'my-smolvlm', modelType: 'my_smolvlm' });
 * ```
 */
export function defineIdefics3(family: Idefics3Family): BackboneSpec<Idefics3Config> {
  return defineBackbone<Idefics3Config>({
    id: family.id,
    modelTypes: [family.modelType],
    package: PACKAGE,
    parseConfig: parseIdefics3Config,
    create: (config) => createIdefics3Adapter(family, config),
  });
}

/**
 * SmolVLM (`model_type: smolvlm`, e.g. `HuggingFaceTB/SmolVLM-256M-Instruct`,
 * `HuggingFaceTB/SmolVLM2-500M-Video-Instruct`): 512-px crops, 64 tokens each.
 *
 * @example
 * ```ts
 * new BackboneRegistry().register(smolvlm).fromConfig(configJson, preprocessorJson);
 * ```
 */
export const smolvlm: BackboneSpec<Idefics3Config> = defineIdefics3({ id: 'smolvlm', modelType: 'smolvlm' });

/**
 * Idefics3 (`model_type: idefics3`, e.g. `HuggingFaceM4/Idefics3-8B-Llama3`): 364-px crops, 169
 * tokens each.
 *
 * @example
 * ```ts
 * new BackboneRegistry().register(idefics3).fromConfig(configJson, preprocessorJson);
 * ```
 */
export const idefics3: BackboneSpec<Idefics3Config> = defineIdefics3({ id: 'idefics3', modelType: 'idefics3' });
