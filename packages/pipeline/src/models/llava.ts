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

/** Tied weights: `lm_head` may be absent when the config ties it to the embedding table. @internal */
export function llavaFallbacks(cfg: LlavaModelConfig): Map<string, string> {
  return cfg.text.tieWordEmbeddings ? new Map([[LM_HEAD, EMBED_TOKENS]]) : new Map();
}

/** Patch tokens per crop after the select strategy (576 for ViT-L/14 at 336 with `default`). */
export function tokensPerCrop(cfg: LlavaModelConfig): number {
  const g = cfg.vision.imageSize / cfg.vision.patchSize;
  return g * g + (cfg.visionFeatureSelectStrategy === 'full' ? 1 : 0);
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

/**
 * The rows and columns of LLaVA-NeXT's un-padded crop grid: a `[rows × 24, cols × 24]` feature map is cut back to
 * the original aspect ratio, symmetrically, as HF `unpad_image` does.
 *
 * @param original - `[height, width]` of the input image in pixels
 * @param current - `[height, width]` of the feature map in tokens
 * @returns the un-padded `[height, width]` and the offsets `[top, left]` into the feature map
 * @example
 * ```ts
 * unpaddedGrid([480, 640], [48, 48]); // { height: 36, width: 48, top: 6, left: 0 }
 * ```
 */
export function unpaddedGrid(
  original: readonly [number, number],
  current: readonly [number, number],
): { height: number; width: number; top: number; left: number } {
  const [oh, ow] = original;
  const [ch, cw] = current;
  // HF rounds the scaled side to 7 decimals before truncating.
  const round7 = (x: number): number => Math.trunc(Math.round(x * 1e7) / 1e7);
  if (ow / oh > cw / ch) {
    const newH = round7(oh * (cw / ow));
    const pad = Math.floor((ch - newH) / 2);
    return { height: ch - 2 * pad, width: cw, top: pad, left: 0 };
  }
  const newW = round7(ow * (ch / oh));
  const pad = Math.floor((cw - newW) / 2);
  return { height: ch, width: cw - 2 * pad, top: 0, left: pad };
}

/** How one image's projected tokens are arranged in the LLM input. */
export interface ImageTokenLayout {
  /** Total tokens of the image span. */
  readonly tokens: number;
  /** Tokens of the base (global) view: the first `baseTokens` rows. */
  readonly baseTokens: number;
  /** LLaVA-NeXT crop grid `[rows, cols]` (in crops), or null for LLaVA-1.5. */
  readonly grid: readonly [number, number] | null;
  /** Un-padded feature map `[height, width]` in tokens (NeXT), or null. */
  readonly unpadded: readonly [number, number] | null;
  /** Indices (0-based in the span) of the `image_newline` rows, ascending. */
  readonly newlineIndices: readonly number[];
}

/**
 * The token layout of one image: 576 for LLaVA-1.5; for LLaVA-NeXT the base view, then the un-padded crop
 * grid with an `image_newline` token after each row.
 *
 * @param cfg - parsed config
 * @param imageSize - `[height, width]` of the original image
 * @param grid - crops `[rows, cols]` chosen by anyres (NeXT) or null
 * @returns the layout
 * @example
 * ```ts
 * imageTokenLayout(next, [480, 640], [2, 2]).tokens; // 576 + 36 × 49 = 2340
 * ```
 */
export function imageTokenLayout(cfg: LlavaModelConfig, imageSize: readonly [number, number], grid: readonly [number, number] | null): ImageTokenLayout {
  const per = tokensPerCrop(cfg);
  if (cfg.modelType === 'llava' || grid === null) {
    return { tokens: per, baseTokens: per, grid: null, unpadded: null, newlineIndices: [] };
  }
  const side = cfg.vision.imageSize / cfg.vision.patchSize;
  const u = unpaddedGrid(imageSize, [grid[0] * side, grid[1] * side]);
  const newlineIndices: number[] = [];
  for (let r = 0; r < u.height; r++) newlineIndices.push(per + r * (u.width + 1) + u.width);
  return { tokens: per + u.height * (u.width + 1), baseTokens: per, grid, unpadded: [u.height, u.width], newlineIndices };
}

/**
 * Packs LLaVA-NeXT crop features: base view, then the crop grid stitched to one feature map, un-padded and
 * followed by `image_newline` after each row.
 *
 * @param crops - `[1 + rows × cols, tokensPerCrop, hidden]` (base view first)
 * @returns `[layout.tokens, hidden]` (caller owns)
 * @internal
 */
export function packNext(cfg: LlavaModelConfig, w: (name: string) => tf.Tensor, crops: tf.Tensor3D, layout: ImageTokenLayout): tf.Tensor2D {
  return tf.tidy(() => {
    const d = crops.shape[2];
    const base = tf.reshape(tf.slice(crops, [0, 0, 0], [1, -1, -1]), [-1, d]);
    if (layout.grid === null || layout.unpadded === null) return base as tf.Tensor2D;
    const side = cfg.vision.imageSize / cfg.vision.patchSize;
    const [rows, cols] = layout.grid;
    const [uh, uw] = layout.unpadded;
    const fullH = rows * side;
    const fullW = cols * side;
    const top = (fullH - uh) / 2;
    const left = (fullW - uw) / 2;
    const crop = tf.reshape(tf.slice(crops, [1, 0, 0], [rows * cols, side * side, d]), [rows, cols, side, side, d]);
    const grid = tf.slice(tf.reshape(tf.transpose(crop, [0, 2, 1, 3, 4]), [fullH, fullW, d]), [top, left, 0], [uh, uw, d]);
    const nl = tf.tile(tf.reshape(w(IMAGE_NEWLINE), [1, 1, d]), [uh, 1, 1]);
    const packed = tf.reshape(tf.concat([grid, nl], 1), [uh * (uw + 1), d]);
    return tf.concat([base, packed], 0) as tf.Tensor2D;
  });
}
