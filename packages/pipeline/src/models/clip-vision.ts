import * as tf from '@tensorflow/tfjs-core';
import type { ClipVisionConfig } from '../config.js';
import { activation, batchMatMul, layerNorm, linear } from './nn.js';
import { maskedSoftmax } from './softmax.js';

/** Prefix of the CLIP tower's tensors in the published llava-hf layout. @internal */
export const CLIP_PREFIX = 'vision_tower.vision_model.';

/**
 * Expected CLIP tensors (canonical names → shapes) for the first `layers` encoder layers.
 * `post_layernorm` is not used by LLaVA (it reads a hidden state, not the pooled output) and is not loaded.
 * @internal
 */
export function clipWeightSpec(cfg: ClipVisionConfig, layers: number): Map<string, number[]> {
  const p = CLIP_PREFIX;
  const c = cfg.hiddenSize;
  const patches = (cfg.imageSize / cfg.patchSize) ** 2;
  const spec = new Map<string, number[]>([
    [`${p}embeddings.class_embedding`, [c]],
    [`${p}embeddings.patch_embedding.weight`, [c, cfg.numChannels, cfg.patchSize, cfg.patchSize]],
    [`${p}embeddings.position_embedding.weight`, [patches + 1, c]],
    [`${p}pre_layrnorm.weight`, [c]],
    [`${p}pre_layrnorm.bias`, [c]],
  ]);
  for (let i = 0; i < layers; i++) {
    const l = `${p}encoder.layers.${i}.`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      spec.set(`${l}self_attn.${proj}.weight`, [c, c]);
      spec.set(`${l}self_attn.${proj}.bias`, [c]);
    }
    for (const ln of ['layer_norm1', 'layer_norm2']) {
      spec.set(`${l}${ln}.weight`, [c]);
      spec.set(`${l}${ln}.bias`, [c]);
    }
    spec.set(`${l}mlp.fc1.weight`, [cfg.intermediateSize, c]);
    spec.set(`${l}mlp.fc1.bias`, [cfg.intermediateSize]);
    spec.set(`${l}mlp.fc2.weight`, [c, cfg.intermediateSize]);
    spec.set(`${l}mlp.fc2.bias`, [c]);
  }
  return spec;
}

type W = (name: string) => tf.Tensor;

/**
 * Runs the CLIP vision transformer on normalised pixels and returns the requested hidden states.
 *
 * @param pixels - `[images, channels, size, size]` (channels-first, as the HF processor emits)
 * @param want - hidden-state indices (0 = embeddings after `pre_layrnorm`, i = after encoder layer i)
 * @returns one `[images, patches + 1, hidden]` tensor per requested index (caller owns them)
 * @internal
 */
export function clipVisionForward(cfg: ClipVisionConfig, w: W, pixels: tf.Tensor4D, want: readonly number[]): tf.Tensor3D[] {
  return tf.tidy(() => {
    const p = CLIP_PREFIX;
    const [n, ch, size] = pixels.shape;
    const ps = cfg.patchSize;
    const g = size / ps;
    const c = cfg.hiddenSize;
    // Patch embedding (a stride-p convolution without bias) as one matmul over flattened patches,
    // flattened in the weight's (channel, ky, kx) order.
    const patches = tf.reshape(tf.transpose(tf.reshape(pixels, [n, ch, g, ps, g, ps]), [0, 2, 4, 1, 3, 5]), [n * g * g, ch * ps * ps]);
    const pw = tf.reshape(w(`${p}embeddings.patch_embedding.weight`), [c, ch * ps * ps]);
    const patchEmb = tf.reshape(tf.matMul(patches as tf.Tensor2D, pw as tf.Tensor2D, false, true), [n, g * g, c]);
    const cls = tf.tile(tf.reshape(w(`${p}embeddings.class_embedding`), [1, 1, c]), [n, 1, 1]);
    let h: tf.Tensor = tf.add(tf.concat([cls, patchEmb], 1), tf.expandDims(w(`${p}embeddings.position_embedding.weight`), 0));
    h = layerNorm(h, w(`${p}pre_layrnorm.weight`), w(`${p}pre_layrnorm.bias`), cfg.layerNormEps);
    const out = new Map<number, tf.Tensor3D>();
    if (want.includes(0)) out.set(0, h as tf.Tensor3D);
    const last = Math.max(...want);
    const heads = cfg.numHeads;
    const hd = c / heads;
    const t = g * g + 1;
    for (let i = 0; i < last; i++) {
      const l = `${p}encoder.layers.${i}.`;
      const x = layerNorm(h, w(`${l}layer_norm1.weight`), w(`${l}layer_norm1.bias`), cfg.layerNormEps);
      const split = (name: string): tf.Tensor4D =>
        tf.transpose(tf.reshape(linear(x, w(`${l}self_attn.${name}.weight`), w(`${l}self_attn.${name}.bias`)), [n, t, heads, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
      const q = tf.mul(split('q_proj'), 1 / Math.sqrt(hd)) as tf.Tensor4D;
      const k = split('k_proj');
      const v = split('v_proj');
      const probs = maskedSoftmax(batchMatMul(q, k, true)) as tf.Tensor4D;
      const ctx = tf.reshape(tf.transpose(batchMatMul(probs, v, false), [0, 2, 1, 3]), [n, t, c]);
      h = tf.add(h, linear(ctx, w(`${l}self_attn.out_proj.weight`), w(`${l}self_attn.out_proj.bias`)));
      const y = layerNorm(h, w(`${l}layer_norm2.weight`), w(`${l}layer_norm2.bias`), cfg.layerNormEps);
      const m = linear(activation(linear(y, w(`${l}mlp.fc1.weight`), w(`${l}mlp.fc1.bias`)), cfg.hiddenAct), w(`${l}mlp.fc2.weight`), w(`${l}mlp.fc2.bias`));
      h = tf.add(h, m);
      if (want.includes(i + 1)) out.set(i + 1, h as tf.Tensor3D);
    }
    return want.map((idx) => out.get(idx)!);
  });
}
