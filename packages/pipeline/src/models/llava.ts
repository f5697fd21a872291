import * as tf from '@tensorflow/tfjs-core';
import { featureLayers, type LlavaModelConfig } from '../config.js';
import { clipVisionForward, clipWeightSpec } from './clip-vision.js';
import { llamaWeightSpec, LM_HEAD, LLAMA_PREFIX } from './llama.js';
import { activation, linear } from './nn.js';

/** Canonical name of LLaVA-NeXT's row separator vector. @internal */
export const IMAGE_NEWLINE = 'image_newline';
/** Canonical name of the tied-embedding fallback. @internal */
export const EMBED_TOKENS = `${LLAMA_PREFIX}embed_tokens.weight`;

/** Every tensor a LLaVA(-NeXT) model needs, canonical name → shape. @internal */
export function llavaWeightSpec(cfg: LlavaModelConfig): Map<string, number[]> {
  const { indices, layersNeeded } = featureLayers(cfg);
  const spec = clipWeightSpec(cfg.vision, layersNeeded);
  const d = cfg.text.hiddenSize;
  const inDim = cfg.vision.hiddenSize * indices.length;
  spec.set('multi_modal_projector.linear_1.weight', [d, inDim]);
  if (cfg.projectorBias) spec.set('multi_modal_projector.linear_1.bias', [d]);
  spec.set('multi_modal_projector.linear_2.weight', [d, d]);
  if (cfg.projectorBias) spec.set('multi_modal_projector.linear_2.bias', [d]);
  if (cfg.modelType === 'llava_next') spec.set(IMAGE_NEWLINE, [d]);
  for (const [k, v] of llamaWeightSpec(cfg.text)) spec.set(k, v);
  return spec;
}

/**
 * Whether a canonical weight name is a linear layer's `[out, in]` weight, held transposed (`[in, out]`) after
 * loading: attention and MLP projections of CLIP and LLaMA, the projector, and `lm_head`.
 * @internal
 */
export function isLinearWeight(name: string): boolean {
  return name === LM_HEAD || /\.(q_proj|k_proj|v_proj|o_proj|out_proj|gate_proj|up_proj|down_proj|fc1|fc2|linear_1|linear_2)\.weight$/.test(name);
}

/** Tied weights: `lm_head` may be absent when the config ties it to the embedding table. @internal */
export function llavaFallbacks(cfg: LlavaModelConfig): Map<string, string> {
  return cfg.text.tieWordEmbeddings ? new Map([[LM_HEAD, EMBED_TOKENS]]) : new Map();
}

/**
 * Vision tower, feature selection and the mlp2x_gelu projector on crops.
 *
 * @param pixels - `[crops, 3, size, size]`
 * @returns `[crops, tokensPerCrop, hidden]` projected tokens (caller owns)
 * @internal
 */
export function encodeCrops(cfg: LlavaModelConfig, w: (name: string) => tf.Tensor, pixels: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const { indices } = featureLayers(cfg);
    const states = clipVisionForward(cfg.vision, w, pixels, indices);
    let feats: tf.Tensor = states.length === 1 ? states[0]! : tf.concat(states, 2);
    if (cfg.visionFeatureSelectStrategy === 'default') feats = tf.slice(feats, [0, 1, 0], [-1, -1, -1]);
    const b1 = cfg.projectorBias ? w('multi_modal_projector.linear_1.bias') : undefined;
    const b2 = cfg.projectorBias ? w('multi_modal_projector.linear_2.bias') : undefined;
    const h = activation(linear(feats, w('multi_modal_projector.linear_1.weight'), b1), cfg.projectorAct);
    return linear(h, w('multi_modal_projector.linear_2.weight'), b2) as tf.Tensor3D;
  });
}
