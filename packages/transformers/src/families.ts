import { ResPruneError } from '@resprune/errors';
import { readInt, type BackboneAdapter, type CompactedInput, type HfConfigLike, type ImageSize } from '@resprune/backbones';
import { createQwenVlAdapter, parseQwenVlConfig } from '@resprune/backbone-qwen-vl';
import { llava15 } from '@resprune/backbone-llava';
import { createIdefics3Adapter, parseIdefics3Config } from '@resprune/backbone-idefics3';
import type { ModelInputs, TjsTensor } from './tjs.js';

/**
 * What the pruning wrapper needs from one model family: its backbone adapter, where the image
 * placeholder is, the image sizes behind a forward call, and how positions reach the decoder.
 * The prefill code knows no family; it asks the family found by `config.model_type`.
 * @example
 * ```ts
 * const family = familyFor(model.config);
 * console.log(family.name, family.positionScheme); // 'qwen2_5_vl' 'mrope'
 * ```
 */
export interface TransformersFamily {
  /** The transformers.js `model_type` this entry serves. */
  readonly name: string;
  /** `mrope` (Qwen: (t,h,w) ids kept from the full sequence) or `sequential` (LLaVA, SmolVLM: 0 … L'−1). */
  readonly positionScheme: 'mrope' | 'sequential';
  /**
   * How the image placeholders sit in the prompt: `image` (default: one run per image, Qwen and
   * LLaVA) or `view` (one run per view of the layout, with text between: Idefics3/SmolVLM put
   * `<fake_token_around_image>`, `<row_r_col_c>`, `<global-img>` and newlines between an image's
   * tiles). Those text rows always stay.
   */
  readonly placeholderRuns?: 'image' | 'view';
  /**
   * Processor outputs the prefill needs that transformers.js' `generate()` does not pass on to
   * `forward()` (it keeps only the model's `forward_params`); the wrapper carries them from the
   * `generate()` options to the pruned prefill. SmolVLM: `rows` and `cols`.
   */
  readonly carryInputs?: readonly string[];
  /** The backbone adapter, from the model's config. */
  adapter(config: HfConfigLike): BackboneAdapter;
  /** The image placeholder token id. */
  imageTokenId(config: HfConfigLike): number;
  /**
   * The image sizes whose layout the adapter computes, read from the forward inputs (Qwen: each
   * `image_grid_thw` row as its resized size; SmolVLM: the processor's crop grid, `rows` × `cols`
   * tiles) or from the features (LLaVA: one square image per feature block).
   */
  imageSizes(config: HfConfigLike, inputs: ModelInputs, features: TjsTensor): ImageSize[];
}

function gridRows(inputs: ModelInputs): number[][] {
  const grid = inputs['image_grid_thw'] as TjsTensor | null | undefined;
  if (grid === undefined || grid === null) {
    throw new ResPruneError('E_INVALID_OPTION', 'withPruning: a Qwen-VL forward call with pixel_values needs image_grid_thw (from the processor)');
  }
  if (grid.dims.length !== 2 || grid.dims[1] !== 3) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `withPruning: image_grid_thw must be [images, 3], got [${grid.dims.join(', ')}]`);
  }
  const rows: number[][] = [];
  for (let i = 0; i < grid.dims[0]!; i++) rows.push([0, 1, 2].map((k) => Number(grid.data[3 * i + k])));
  return rows;
}

function qwenFamily(name: string, id: string): TransformersFamily {
  return {
    name,
    positionScheme: 'mrope',
    adapter(config) {
      const parsed = parseQwenVlConfig(config);
      const factor = parsed.patchSize * parsed.mergeSize;
      // Layouts are built from the processor's own grid (its resized size), so the resize limits
      // must not move it: one token up to any area.
      return createQwenVlAdapter(
        { id, modelType: name },
        { ...parsed, minPixels: factor * factor, maxPixels: Number.MAX_SAFE_INTEGER },
      );
    },
    imageTokenId(config) {
      return readInt(config, 'image_token_id', { file: 'config.json', min: 0 });
    },
    imageSizes(config, inputs) {
      const patch = readInt(config, 'vision_config.patch_size', { file: 'config.json' });
      const merge = readInt(config, 'vision_config.spatial_merge_size', { file: 'config.json' });
      return gridRows(inputs).map(([t, h, w], i) => {
        if (t !== 1) {
          throw new ResPruneError(
            'E_INVALID_OPTION',
            `withPruning: image ${i} has ${t} temporal patches (image_grid_thw [${t}, ${h}, ${w}]); only still images (t = 1) are pruned, not videos`,
          );
        }
        if (h! % merge !== 0 || w! % merge !== 0 || h! < merge || w! < merge) {
          throw new ResPruneError('E_SHAPE_MISMATCH', `withPruning: image_grid_thw [${t}, ${h}, ${w}] is not a multiple of spatial_merge_size ${merge}`);
        }
        return { width: w! * patch, height: h! * patch };
      });
    },
  };
}

const llava: TransformersFamily = {
  name: 'llava',
  positionScheme: 'sequential',
  adapter(config) {
    return llava15.create(llava15.parseConfig(config));
  },
  imageTokenId(config) {
    const id = config['image_token_index'] ?? config['image_token_id'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new ResPruneError('E_BACKBONE_CONFIG', 'config.json: LLaVA needs an integer image_token_index');
    }
    return id;
  },
  imageSizes(config, _inputs, features) {
    // LLaVA-1.5 gives every image the same square grid: the count of feature blocks is the count of images.
    const size = readInt(config, 'vision_config.image_size', { file: 'config.json' });
    const images = features.dims.length === 3 ? features.dims[0]! : 1;
    return Array.from({ length: images }, () => ({ width: size, height: size }));
  },
};

/** A list of per-image numbers from the processor: `[[…]]` (one prompt) or `[…]`. */
function perImage(inputs: ModelInputs, key: 'rows' | 'cols'): number[] {
  const raw = inputs[key];
  const list = Array.isArray(raw) && raw.length === 1 && Array.isArray(raw[0]) ? (raw[0] as unknown[]) : raw;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0)) {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `withPruning: a SmolVLM/Idefics3 forward call with pixel_values needs the processor's ${key} (the crop grid of each image, which Idefics3Processor returns); got ${JSON.stringify(raw) ?? 'nothing'}`,
    );
  }
  return list as number[];
}

function idefics3Family(name: string): TransformersFamily {
  const adapterOf = (config: HfConfigLike): { adapter: BackboneAdapter; tile: number } => {
    const parsed = parseIdefics3Config(config);
    // Layouts are built from the processor's own crop grid (cols·M × rows·M, already a multiple of
    // the crop side M), so the first resize must not move it.
    return {
      adapter: createIdefics3Adapter({ id: name, modelType: name }, { ...parsed, doResize: false, doImageSplitting: true }),
      tile: parsed.tileSize,
    };
  };
  return {
    name,
    positionScheme: 'sequential',
    placeholderRuns: 'view',
    carryInputs: ['rows', 'cols'],
    adapter: (config) => adapterOf(config).adapter,
    imageTokenId(config) {
      const id = config['image_token_id'] ?? config['image_token_index'];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new ResPruneError('E_BACKBONE_CONFIG', `config.json: ${name} needs an integer image_token_id`);
      }
      return id;
    },
    imageSizes(config, inputs) {
      const { tile } = adapterOf(config);
      const rows = perImage(inputs, 'rows');
      const cols = perImage(inputs, 'cols');
      if (rows.length !== cols.length || rows.length === 0 || rows.some((r, i) => (r === 0) !== (cols[i] === 0))) {
        throw new ResPruneError('E_SHAPE_MISMATCH', `withPruning: rows ${JSON.stringify(rows)} and cols ${JSON.stringify(cols)} do not describe the same images`);
      }
      const pixels = inputs['pixel_values'] as TjsTensor;
      const frames = rows.reduce((n, r, i) => n + (r === 0 ? 1 : r * cols[i]! + 1), 0);
      const dims = pixels.dims;
      if (dims.length !== 5 || dims[0] !== 1 || dims[1] !== frames || dims[3] !== tile || dims[4] !== tile) {
        throw new ResPruneError(
          'E_SHAPE_MISMATCH',
          `withPruning: pixel_values is [${dims.join(', ')}] but the crop grid of rows ${JSON.stringify(rows)} × cols ${JSON.stringify(cols)} needs [1, ${frames}, 3, ${tile}, ${tile}]`,
        );
      }
      return rows.map((r, i) => (r === 0 ? { width: tile, height: tile } : { width: cols[i]! * tile, height: r * tile }));
    },
  };
}

const FAMILIES: ReadonlyMap<string, TransformersFamily> = new Map([
  ['qwen2_vl', qwenFamily('qwen2_vl', 'qwen2-vl')],
  ['qwen2_5_vl', qwenFamily('qwen2_5_vl', 'qwen2.5-vl')],
  ['llava', llava],
  ['smolvlm', idefics3Family('smolvlm')],
  ['idefics3', idefics3Family('idefics3')],
]);

/**
 * The `model_type`s {@link withPruning} supports.
 * @example
 * ```ts
 * SUPPORTED_MODEL_TYPES; // ['qwen2_vl', 'qwen2_5_vl', 'llava', 'smolvlm', 'idefics3']
 * ```
 */
export const SUPPORTED_MODEL_TYPES: readonly string[] = [...FAMILIES.keys()];

/**
 * The family entry for a transformers.js model config.
 * @param config - the model's `config` (transformers.js `PretrainedConfig` or the parsed config.json)
 * @returns the family
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` for a `model_type` without an entry
 * @example
 * ```ts
 * familyFor({ model_type: 'llava' }).positionScheme; // 'sequential'
 * ```
 */
export function familyFor(config: HfConfigLike): TransformersFamily {
  const type = config.model_type;
  const family = typeof type === 'string' ? FAMILIES.get(type) : undefined;
  if (family === undefined) {
    throw new ResPruneError(
      'E_BACKBONE_UNKNOWN',
      `withPruning: no transformers.js family for model_type ${JSON.stringify(type)}; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
      { details: { modelType: type ?? null } },
    );
  }
  return family;
}

/** Rows [3, L'] (t…, h…, w…) or [L'] of a compacted input's positions, as plain numbers. */
export function positionRows(compacted: CompactedInput): number[] | number[][] {
  const p = compacted.positions;
  if (p.scheme === 'sequential') return [...p.ids];
  return [0, 1, 2].map((k) => p.ids.map((triple) => triple[k]!));
}
