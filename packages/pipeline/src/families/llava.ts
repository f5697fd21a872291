import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { llava15, llavaNext } from '@resprune/backbone-llava';
import type { HfConfigLike, ImageLayout } from '@resprune/backbones';
import { layoutName, type TensorNameLayout } from '../checkpoint.js';
import { featureLayers, parseLlavaConfig, type LlavaModelConfig } from '../config.js';
import type { FamilyModelConfig, ModelFamily, ProcessedImage, VisionFlops, WeightAccessor } from '../family.js';
import { LLAMA_PREFIX, LM_HEAD } from '../models/llama.js';
import { encodeCrops, IMAGE_NEWLINE, isLinearWeight, llavaFallbacks, llavaWeightSpec } from '../models/llava.js';
import {
  parseClipConfig,
  parseImageProcessorConfig,
  parseLlavaNextConfig,
  preprocessImage,
  type ClipProcessorConfig,
  type LlavaNextProcessorConfig,
} from '@resprune/image-processing';

/**
 * A parsed LLaVA-1.5 / LLaVA-NeXT checkpoint: config.json, the image processor and the decoder's context.
 *
 * @example
 * ```ts
 * const cfg = llavaFamily.parseConfig(configJson, preprocessorJson, dir);
 * cfg.imageProcessor.gridPinpoints.length; // 5 for llava-v1.6
 * ```
 */
export interface LlavaFamilyConfig extends LlavaModelConfig, FamilyModelConfig<LlavaModelConfig['modelType']> {
  /** The checkpoint's image processor (HF's slow `CLIPImageProcessor` / `LlavaNextImageProcessor`, Pillow-exact). */
  readonly imageProcessor: ClipProcessorConfig | LlavaNextProcessorConfig;
}

/** HF's defaults of `max_position_embeddings` when a text config omits it (LlamaConfig, MistralConfig). */
const DEFAULT_MAX_POSITIONS: Readonly<Record<string, number>> = { llama: 2048, mistral: 4096 * 32 };

function maxPositions(raw: HfConfigLike, modelType: string): number {
  const text = (raw['text_config'] ?? {}) as Record<string, unknown>;
  const v = text['max_position_embeddings'] ?? raw['max_position_embeddings'];
  if (v === undefined) return DEFAULT_MAX_POSITIONS[modelType] ?? 2048;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ResPruneError('E_CHECKPOINT', `config.json: text_config.max_position_embeddings must be an integer >= 1, got ${JSON.stringify(v)}.`, {
      details: { field: 'text_config.max_position_embeddings' },
    });
  }
  return v;
}

/**
 * The crop geometry of one LLaVA-NeXT image in its layout: the tiled `crops` view gives the crop grid, the
 * un-padded token grid and the offsets removed by un-padding. Null for an image without a tiled view.
 */
function nextImageGeometry(image: ImageLayout): {
  rows: number;
  cols: number;
  side: number;
  unpadded: readonly [number, number];
  top: number;
  left: number;
} | null {
  const view = image.views.find((v) => v.crops !== undefined);
  if (view === undefined || view.crops === undefined) return null;
  const c = view.crops;
  return { rows: c.rows, cols: c.cols, side: c.cropRows, unpadded: [view.rows, view.cols], top: c.offsetRow, left: c.offsetCol };
}

/**
 * Packs one LLaVA-NeXT image's crop features as its layout says: base view, then the crop grid stitched to one
 * feature map, un-padded and followed by `image_newline` after each row. LLaVA-1.5 images are the base view alone.
 */
function packImage(w: WeightAccessor, crops: tf.Tensor3D, image: ImageLayout): tf.Tensor2D {
  return tf.tidy(() => {
    const d = crops.shape[2];
    const base = tf.reshape(tf.slice(crops, [0, 0, 0], [1, -1, -1]), [-1, d]) as tf.Tensor2D;
    const g = nextImageGeometry(image);
    if (g === null) return base;
    const { side, rows, cols } = g;
    const [uh, uw] = g.unpadded;
    const crop = tf.reshape(tf.slice(crops, [1, 0, 0], [rows * cols, side * side, d]), [rows, cols, side, side, d]);
    const grid = tf.slice(tf.reshape(tf.transpose(crop, [0, 2, 1, 3, 4]), [rows * side, cols * side, d]), [g.top, g.left, 0], [uh, uw, d]);
    const nl = tf.tile(tf.reshape(w(IMAGE_NEWLINE), [1, 1, d]), [uh, 1, 1]);
    const packed = tf.reshape(tf.concat([grid, nl], 1), [uh * (uw + 1), d]);
    return tf.concat([base, packed], 0) as tf.Tensor2D;
  });
}

/**
 * The LLaVA family: LLaVA-1.5 (`llava`) and LLaVA-NeXT (`llava_next`). CLIP vision tower, the `mlp2x_gelu`
 * projector, LLaMA/Mistral decoder; anyres tiling and un-padding for NeXT. Layout, budgets and positions come
 * from `@resprune/backbone-llava`.
 *
 * @example
 * ```ts
 * new ModelFamilyRegistry().register(llavaFamily).resolve({ model_type: 'llava_next' }).id; // 'llava'
 * ```
 */
export const llavaFamily: ModelFamily<LlavaFamilyConfig> = {
  id: 'llava',
  modelTypes: ['llava', 'llava_next'],
  backbones: [llava15, llavaNext],
  parseConfig(raw, preprocessor, dir) {
    const config = parseLlavaConfig(raw);
    const next = config.modelType === 'llava_next';
    // The processor's own pinpoints win; config.json's fill in when preprocessor_config.json has none (as HF's processor saving does).
    const pre = { ...(preprocessor ?? {}), ...(next && preprocessor?.['image_grid_pinpoints'] === undefined ? { image_grid_pinpoints: config.imageGridPinpoints } : {}) };
    const imageProcessor =
      preprocessor === undefined || preprocessor['image_processor_type'] === undefined
        ? next
          ? parseLlavaNextConfig(pre)
          : parseClipConfig(pre)
        : parseImageProcessorConfig(pre);
    if (imageProcessor.kind !== (next ? 'llava-next' : 'clip')) {
      throw new ResPruneError('E_CHECKPOINT', `${dir}: a ${config.modelType} checkpoint needs ${next ? 'LlavaNextImageProcessor' : 'CLIPImageProcessor'}, preprocessor_config.json names ${String(preprocessor?.['image_processor_type'])}.`, {
        details: { field: 'image_processor_type' },
      });
    }
    return { ...config, imageProcessor, imageTokenId: config.imageTokenIndex, maxPositions: maxPositions(raw, config.text.modelType) };
  },
  weights: {
    spec: llavaWeightSpec,
    layout: (names): TensorNameLayout => (names.some((n) => n.startsWith('model.language_model.')) ? 'transformers-4.52' : 'published'),
    storedName: layoutName,
    transpose: isLinearWeight,
    fallbacks: llavaFallbacks,
    decoderPrefix: LLAMA_PREFIX,
    lmHead: LM_HEAD,
  },
  async preprocess(image, cfg): Promise<ProcessedImage> {
    const pre = preprocessImage(image, cfg.imageProcessor);
    if (pre.kind === 'qwen2-vl') throw new ResPruneError('E_INTERNAL', 'llava: the processor made Qwen patches.');
    if (pre.shape[2] !== pre.shape[3] || pre.shape[2] !== cfg.vision.imageSize) {
      throw new ResPruneError('E_CHECKPOINT', `llava: the processor makes ${pre.shape[2]}×${pre.shape[3]} crops, the vision tower takes ${cfg.vision.imageSize}×${cfg.vision.imageSize}.`, {
        details: { field: 'crop_size' },
      });
    }
    return {
      size: { width: image.width, height: image.height },
      pixels: pre.pixelValues,
      shape: pre.shape,
      grid: pre.kind === 'llava-next' ? pre.grid : null,
    };
  },
  encode(cfg, w, images, layout) {
    images.forEach((p, i) => {
      const g = nextImageGeometry(layout.images[i]!);
      const crops = g === null ? 1 : 1 + g.rows * g.cols;
      if (p.shape[0] !== crops || (g !== null && (p.grid?.[0] !== g.rows || p.grid?.[1] !== g.cols))) {
        throw new ResPruneError(
          'E_INTERNAL',
          `llava: image ${i} was preprocessed into ${p.shape[0]} crops (grid ${JSON.stringify(p.grid)}), the ${layout.backbone} layout expects ${crops}.`,
        );
      }
    });
    const side = images[0]!.shape[2]!;
    const total = images.reduce((a, p) => a + p.shape[0]!, 0);
    const pixels = new Float32Array(total * 3 * side * side);
    let off = 0;
    for (const p of images) {
      pixels.set(p.pixels, off);
      off += p.pixels.length;
    }
    return tf.tidy(() => {
      const feats = encodeCrops(cfg, w, tf.tensor4d(pixels, [total, 3, side, side]));
      const out: tf.Tensor2D[] = [];
      let c0 = 0;
      images.forEach((p, i) => {
        const mine = tf.slice(feats, [c0, 0, 0], [p.shape[0]!, -1, -1]) as tf.Tensor3D;
        c0 += p.shape[0]!;
        out.push(packImage(w, mine, layout.images[i]!));
      });
      return out;
    });
  },
  visionFlops(cfg, images): VisionFlops {
    const crops = images.reduce((a, p) => a + p.shape[0]!, 0);
    const v = cfg.vision;
    const g = v.imageSize / v.patchSize;
    const t = g * g + 1;
    const c = v.hiddenSize;
    const { indices, layersNeeded } = featureLayers(cfg);
    const perCropLayer = 2 * t * c * c * 4 + 2 * 2 * t * t * c + 2 * 2 * t * c * v.intermediateSize;
    const vision = crops * (2 * g * g * c * v.numChannels * v.patchSize * v.patchSize + layersNeeded * perCropLayer);
    const d = cfg.text.hiddenSize;
    const perCrop = cfg.visionFeatureSelectStrategy === 'default' ? g * g : t;
    return { vision, projector: crops * 2 * perCrop * (c * indices.length * d + d * d) };
  },
};
