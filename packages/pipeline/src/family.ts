import type * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import type { BackboneSpec, HfConfigLike, ImageSize, VisualLayout } from '@resprune/backbones';
import type { TensorNameLayout, WeightSpec } from './checkpoint.js';
import type { LlamaTextConfig } from './config.js';
import type { RgbImage } from '@resprune/image-processing';

/**
 * Reads a loaded weight by canonical name (the family's published-hub name).
 *
 * @example
 * ```ts
 * const w: WeightAccessor = (name) => tensors.get(name)!;
 * ```
 */
export type WeightAccessor = (name: string) => tf.Tensor;

/**
 * What every family's parsed config has: the language model's settings and the image placeholder.
 *
 * @example
 * ```ts
 * const cfg: FamilyModelConfig = family.parseConfig(configJson, preprocessorJson, dir);
 * cfg.text.hiddenSize; // 4096 for LLaVA-1.5-7B
 * ```
 */
export interface FamilyModelConfig<T extends string = string> {
  /** The config's `model_type`. */
  readonly modelType: T;
  /** The decoder (LLaMA, Mistral or Qwen2). */
  readonly text: LlamaTextConfig;
  /** The token id the prompt's image placeholder carries, repeated once per visual token after expansion. */
  readonly imageTokenId: number;
  /** End-of-sequence ids from config.json. */
  readonly eosTokenIds: readonly number[];
  /** `max_position_embeddings` of the decoder: prompt tokens plus generated tokens must fit in it. */
  readonly maxPositions: number;
}

/**
 * One image after the family's processor: the tensors its vision encoder takes, and the original size (which the
 * backbone adapter turns into the token layout).
 *
 * @example
 * ```ts
 * const p: ProcessedImage = await family.preprocess(rgb, cfg);
 * p.shape; // [5, 3, 336, 336] for a LLaVA-NeXT 2×2 grid; [patches, 1176] for Qwen2.5-VL
 * ```
 */
export interface ProcessedImage {
  /** The decoded image's size, before any resizing (the adapter's layout input). */
  readonly size: ImageSize;
  /** Pixel values, float32, row-major in {@link ProcessedImage.shape}. */
  readonly pixels: Float32Array;
  /** Shape of {@link ProcessedImage.pixels}: `[crops, 3, side, side]` (LLaVA) or `[patches, C·T·P·P]` (Qwen). */
  readonly shape: readonly number[];
  /** Family-specific geometry: the anyres grid `[rows, cols]` (LLaVA-NeXT) or the patch grid `[t, h, w]` (Qwen). */
  readonly grid: readonly number[] | null;
}

/**
 * Names of a family's tensors and how to read them from a checkpoint.
 *
 * @example
 * ```ts
 * const spec = family.weights.spec(cfg); // canonical name → shape
 * ```
 */
export interface FamilyWeights<C extends FamilyModelConfig> {
  /** Every tensor the configured model needs: canonical name → shape. */
  spec(cfg: C): WeightSpec;
  /** The name layout of a checkpoint from its stored tensor names. */
  layout(storedNames: readonly string[]): TensorNameLayout;
  /** The stored name of a canonical tensor in `layout`. */
  storedName(canonical: string, layout: TensorNameLayout): string;
  /** Whether a 2-D weight is a linear layer's `[out, in]` matrix, held transposed after loading. */
  transpose(canonical: string): boolean;
  /** Tensors that may be absent (tied), with the canonical name to use instead. */
  fallbacks(cfg: C): ReadonlyMap<string, string>;
  /** Canonical name prefix of the decoder's tensors (`language_model.model.` for LLaVA, `model.` for Qwen). */
  readonly decoderPrefix: string;
  /** Canonical name of the output projection. */
  readonly lmHead: string;
}

/**
 * Vision-side FLOPs of one request, for the cost report.
 *
 * @example
 * ```ts
 * const { vision, projector } = family.visionFlops(cfg, processed);
 * ```
 */
export interface VisionFlops {
  /** The vision encoder over every crop or patch. */
  readonly vision: number;
  /** The connector (projector or patch merger). */
  readonly projector: number;
}

/**
 * A model family of the pipeline: everything that differs between LLaVA and Qwen-VL, behind four parts (a processor,
 * a vision encoder with its connector, the decoder's settings, and the backbone adapters that own layout, budgets
 * and positions). The request loop ({@link loadPipeline}) names no family.
 *
 * Adding a family: implement this interface and register it in a {@link ModelFamilyRegistry}
 * (`docs/guide/adding-a-backbone.md` walks through the whole path).
 *
 * @example
 * ```ts
 * const registry = new ModelFamilyRegistry().register(llavaFamily).register(qwen2VlFamily);
 * registry.resolve({ model_type: 'qwen2_5_vl' }).id; // 'qwen2-vl'
 * ```
 */
export interface ModelFamily<C extends FamilyModelConfig = FamilyModelConfig> {
  /** Short id, e.g. `llava`, `qwen2-vl`. */
  readonly id: string;
  /** The `model_type` values of config.json this family runs. */
  readonly modelTypes: readonly string[];
  /** Backbone adapters (from the `@resprune/backbone-*` packages) for the model types, resolved from config.json. */
  readonly backbones: readonly BackboneSpec[];
  /**
   * Parses config.json (and preprocessor_config.json when the checkpoint has one).
   *
   * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` naming the bad field
   */
  parseConfig(config: HfConfigLike, preprocessor: HfConfigLike | undefined, dir: string): C;
  /** Tensor names, layouts and transposes. */
  readonly weights: FamilyWeights<C>;
  /**
   * The HF image processor: decoded RGB → pixel values.
   *
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for an image the processor rejects
   */
  preprocess(image: RgbImage, cfg: C): Promise<ProcessedImage>;
  /**
   * Vision encoder and connector over a request's images: one `[layout.images[i].length, hidden]` tensor per image,
   * rows in the order of the image's placeholder tokens (the adapter's layout order). The caller owns the result.
   */
  encode(cfg: C, w: WeightAccessor, images: readonly ProcessedImage[], layout: VisualLayout): tf.Tensor2D[];
  /** Vision FLOPs of the images, for the cost report. */
  visionFlops(cfg: C, images: readonly ProcessedImage[]): VisionFlops;
}

/**
 * The model families a pipeline can load, keyed by config.json's `model_type`.
 *
 * @example
 * ```ts
 * const families = new ModelFamilyRegistry().register(llavaFamily);
 * families.modelTypes(); // ['llava', 'llava_next']
 * ```
 */
export class ModelFamilyRegistry {
  readonly #byType = new Map<string, ModelFamily>();
  readonly #families: ModelFamily[] = [];

  /**
   * Adds a family.
   *
   * @param family - the family
   * @returns this registry, for chaining
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_DUPLICATE` when one of its model types is taken
   */
  register<C extends FamilyModelConfig>(family: ModelFamily<C>): this {
    for (const t of family.modelTypes) {
      const other = this.#byType.get(t);
      if (other !== undefined) {
        throw new ResPruneError('E_BACKBONE_DUPLICATE', `model_type "${t}" is already run by the "${other.id}" family.`);
      }
    }
    for (const t of family.modelTypes) this.#byType.set(t, family as unknown as ModelFamily);
    this.#families.push(family as unknown as ModelFamily);
    return this;
  }

  /** Every registered family, in registration order. */
  families(): readonly ModelFamily[] {
    return [...this.#families];
  }

  /** Every `model_type` a registered family runs. */
  modelTypes(): string[] {
    return [...this.#byType.keys()];
  }

  /**
   * The family that runs a config's `model_type`.
   *
   * @param config - parsed config.json
   * @returns the family
   * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` naming the model types it knows
   */
  resolve(config: HfConfigLike): ModelFamily {
    const type = config?.model_type;
    const family = typeof type === 'string' ? this.#byType.get(type) : undefined;
    if (family === undefined) {
      throw new ResPruneError(
        'E_BACKBONE_UNKNOWN',
        `config.json model_type ${JSON.stringify(type ?? null)} is not one this pipeline runs; known: ${this.modelTypes().join(', ')}.`,
        { details: { modelType: type ?? null } },
      );
    }
    return family;
  }
}
