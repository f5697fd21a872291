import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { qwen25vl, qwen2vl } from '@resprune/backbone-qwen-vl';
import type { HfConfigLike } from '@resprune/backbones';
import { parseQwen2VlConfig as parseQwenProcessorConfig, qwen2VlPixelValues, type Qwen2VlProcessorConfig } from '@resprune/image-processing';
import type { TensorNameLayout } from '../../checkpoint.js';
import type { ModelFamily, ProcessedImage, VisionFlops } from '../../family.js';
import { parseQwen2VlConfig, type Qwen2VlModelConfig } from './config.js';
import { encodeQwenVision, type GridThw } from './vision.js';
import { detectQwenLayout, isQwenLinearWeight, QWEN_DECODER, qwenFallbacks, qwenLayoutName, qwenWeightSpec } from './weights.js';

/**
 * A parsed Qwen2-VL / Qwen2.5-VL checkpoint: config.json, the `Qwen2VLImageProcessor` settings and the decoder's context.
 *
 * @example
 * ```ts
 * const cfg = qwen2VlFamily.parseConfig(configJson, preprocessorJson, dir);
 * cfg.text.mropeSection; // [16, 24, 24]
 * ```
 */
export interface Qwen2VlFamilyConfig extends Qwen2VlModelConfig {
  /** The checkpoint's image processor (HF's slow `Qwen2VLImageProcessor`, Pillow-exact). */
  readonly imageProcessor: Qwen2VlProcessorConfig;
  /** `max_position_embeddings` of the decoder. */
  readonly maxPositions: number;
}

/** Qwen2's `max_position_embeddings` when a config omits it (HF Qwen2VLTextConfig / Qwen2_5_VLTextConfig). */
const DEFAULT_MAX_POSITIONS = 128000;

function readMaxPositions(raw: HfConfigLike): number {
  const text = (raw['text_config'] ?? {}) as Record<string, unknown>;
  const v = text['max_position_embeddings'] ?? raw['max_position_embeddings'] ?? DEFAULT_MAX_POSITIONS;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ResPruneError('E_CHECKPOINT', `config.json: max_position_embeddings must be an integer >= 1, got ${JSON.stringify(v)}.`, {
      details: { field: 'max_position_embeddings' },
    });
  }
  return v;
}

/**
 * The Qwen-VL family: Qwen2-VL (`qwen2_vl`) and Qwen2.5-VL (`qwen2_5_vl`). A ViT over 14-px patches with 2-D rotary
 * positions (window attention and RMSNorm/SwiGLU blocks in 2.5, LayerNorm/QuickGELU in 2), the 2×2 patch merger,
 * and the Qwen2 decoder with M-RoPE. Layout, budgets and the kept tokens' (t, h, w) ids come from
 * `@resprune/backbone-qwen-vl`.
 *
 * @example
 * ```ts
 * modelFamilies.resolve({ model_type: 'qwen2_5_vl' }).id; // 'qwen2-vl'
 * ```
 */
export const qwen2VlFamily: ModelFamily<Qwen2VlFamilyConfig> = {
  id: 'qwen2-vl',
  modelTypes: ['qwen2_vl', 'qwen2_5_vl'],
  backbones: [qwen2vl, qwen25vl],
  parseConfig(raw, preprocessor, dir) {
    const config = parseQwen2VlConfig(raw);
    const imageProcessor = parseQwenProcessorConfig(preprocessor ?? {});
    const pairs: [string, number, number][] = [
      ['patch_size', imageProcessor.patchSize, config.vision.patchSize],
      ['temporal_patch_size', imageProcessor.temporalPatchSize, config.vision.temporalPatchSize],
      ['merge_size', imageProcessor.mergeSize, config.vision.spatialMergeSize],
    ];
    for (const [field, pre, model] of pairs) {
      if (pre !== model) {
        throw new ResPruneError('E_CHECKPOINT', `${dir}: preprocessor_config.json ${field} is ${pre}, config.json vision_config says ${model}; they must agree.`, {
          details: { field },
        });
      }
    }
    return { ...config, imageProcessor, maxPositions: readMaxPositions(raw) };
  },
  weights: {
    spec: qwenWeightSpec,
    layout: (names): TensorNameLayout => (detectQwenLayout(names) === 'transformers' ? 'transformers-4.52' : 'published'),
    storedName: (canonical, layout) => qwenLayoutName(canonical, layout === 'published' ? 'published' : 'transformers'),
    transpose: isQwenLinearWeight,
    fallbacks: qwenFallbacks,
    decoderPrefix: QWEN_DECODER.prefix,
    lmHead: QWEN_DECODER.lmHead,
  },
  async preprocess(image, cfg): Promise<ProcessedImage> {
    const pre = qwen2VlPixelValues(image, cfg.imageProcessor);
    return { size: { width: image.width, height: image.height }, pixels: pre.pixelValues, shape: pre.shape, grid: pre.imageGridThw };
  },
  encode(cfg, w, images, layout) {
    const grids = images.map((p): GridThw => [p.grid![0]!, p.grid![1]!, p.grid![2]!]);
    const unit = cfg.vision.spatialMergeSize ** 2;
    images.forEach((p, i) => {
      if (p.shape[0]! / unit !== layout.images[i]!.length) {
        throw new ResPruneError('E_INTERNAL', `qwen2-vl: image ${i} has ${p.shape[0]} patches, the ${layout.backbone} layout expects ${layout.images[i]!.length} merged tokens.`);
      }
    });
    const width = images[0]!.shape[1]!;
    const total = images.reduce((a, p) => a + p.shape[0]!, 0);
    const pixels = new Float32Array(total * width);
    let off = 0;
    for (const p of images) {
      pixels.set(p.pixels, off);
      off += p.pixels.length;
    }
    return tf.tidy(() => {
      const merged = encodeQwenVision(cfg, w, tf.tensor2d(pixels, [total, width]), grids);
      return tf.split(merged, layout.images.map((im) => im.length), 0) as tf.Tensor2D[];
    });
  },
  visionFlops(cfg, images): VisionFlops {
    const v = cfg.vision;
    const c = v.hiddenSize;
    const unit = v.spatialMergeSize ** 2;
    const windowPatches = v.windowSize === null ? null : (v.windowSize / v.patchSize) ** 2;
    let vision = 0;
    let projector = 0;
    for (const p of images) {
      const n = p.shape[0]!;
      const embed = 2 * n * c * p.shape[1]!;
      const mlp = 2 * n * c * v.intermediateSize * (v.norm === 'rms' ? 3 : 2);
      let blocks = 0;
      for (let b = 0; b < v.depth; b++) {
        const span = windowPatches === null || v.fullAttBlockIndexes.includes(b) ? n : Math.min(n, windowPatches);
        blocks += 2 * n * c * 3 * c + 2 * n * c * c + 2 * 2 * n * span * c + mlp;
      }
      vision += embed + blocks;
      const tokens = n / unit;
      projector += 2 * tokens * (c * unit) * (c * unit) + 2 * tokens * (c * unit) * v.outHiddenSize;
    }
    return { vision, projector };
  },
};
