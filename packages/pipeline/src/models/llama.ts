import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import type { LlamaTextConfig } from '../config.js';
import type { WeightAccessor } from '../family.js';
import { activation, batchMatMul, linear, rmsNorm } from './nn.js';
import { maskedSoftmax } from './softmax.js';

/**
 * Where a decoder's tensors live in a checkpoint: the prefix of its blocks (`embed_tokens`, `layers.i.…`, `norm`)
 * and the full name of its output projection.
 * @internal
 */
export interface DecoderNames {
  /** Prefix of `embed_tokens.weight`, `layers.*` and `norm.weight`. */
  readonly prefix: string;
  /** Full name of the `lm_head` weight. */
  readonly lmHead: string;
}

/** The decoder in the published llava-hf layout. @internal */
export const LLAVA_DECODER: DecoderNames = { prefix: 'language_model.model.', lmHead: 'language_model.lm_head.weight' };
/** Prefix of the decoder's tensors in the published llava-hf layout. @internal */
export const LLAMA_PREFIX = LLAVA_DECODER.prefix;
/** Name of the output projection in the published llava-hf layout. @internal */
export const LM_HEAD = LLAVA_DECODER.lmHead;


/**
 * A weight accessor whose names are relative to `prefix`: `scopeWeights(w, 'model.')('norm.weight')` reads
 * `model.norm.weight`. The decoder reads its tensors through one, so the same code serves every layout.
 *
 * @param w - accessor by full name
 * @param prefix - the prefix to add
 * @returns the scoped accessor
 * @example
 * ```ts
 * const decoderWeights = scopeWeights((n) => tensors.get(n)!, 'model.');
 * ```
 */
export function scopeWeights(w: WeightAccessor, prefix: string): WeightAccessor {
  return (name) => w(prefix + name);
}

/** Expected decoder tensors (canonical names → shapes), named as `names` says (default: llava-hf). @internal */
export function llamaWeightSpec(cfg: LlamaTextConfig, names: DecoderNames = LLAVA_DECODER): Map<string, number[]> {
  const p = names.prefix;
  const d = cfg.hiddenSize;
  const qd = cfg.numHeads * cfg.headDim;
  const kvd = cfg.numKvHeads * cfg.headDim;
  const spec = new Map<string, number[]>([[`${p}embed_tokens.weight`, [cfg.vocabSize, d]]]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = `${p}layers.${i}.`;
    spec.set(`${l}self_attn.q_proj.weight`, [qd, d]);
    spec.set(`${l}self_attn.k_proj.weight`, [kvd, d]);
    spec.set(`${l}self_attn.v_proj.weight`, [kvd, d]);
    if (cfg.attentionBias) {
      spec.set(`${l}self_attn.q_proj.bias`, [qd]);
      spec.set(`${l}self_attn.k_proj.bias`, [kvd]);
      spec.set(`${l}self_attn.v_proj.bias`, [kvd]);
    }
    spec.set(`${l}self_attn.o_proj.weight`, [d, qd]);
    spec.set(`${l}mlp.gate_proj.weight`, [cfg.intermediateSize, d]);
    spec.set(`${l}mlp.up_proj.weight`, [cfg.intermediateSize, d]);
    spec.set(`${l}mlp.down_proj.weight`, [d, cfg.intermediateSize]);
    spec.set(`${l}input_layernorm.weight`, [d]);
    spec.set(`${l}post_attention_layernorm.weight`, [d]);
  }
  spec.set(`${p}norm.weight`, [d]);
  spec.set(names.lmHead, [cfg.vocabSize, d]);
  return spec;
}

/**
 * Key/value cache of a batch: per layer, keys (after RoPE) and values `[batch, kvHeads, length, headDim]`,
 * plus which cache slots hold real tokens (left padding in batches) and the next position id of each row.
 *
 * @example
 * ```ts
 * const { cache } = decoderForward(cfg, w, embeds, valid, positions, undefined);
 * console.log(cache.length, kvCacheBytes(cache));
 * disposeKvCache(cache);
 * ```
 */
export interface KvCache {
  /** Per decoder layer. */
  readonly layers: readonly { readonly k: tf.Tensor4D; readonly v: tf.Tensor4D }[];
  /** Slots filled (the same for every row). */
  readonly length: number;
  /** `valid[b][t]` is 1 when slot t of row b is a real token, 0 for padding. */
  readonly valid: readonly Uint8Array[];
  /** Position id the next token of each row gets. */
  readonly nextPosition: readonly number[];
}

/**
 * Bytes a cache holds on the backend (float32 keys and values).
 *
 * @param cache - the cache
 * @returns bytes
 * @example
 * ```ts
 * kvCacheBytes(cache); // 2 · layers · kvHeads · headDim · length · 4 per row
 * ```
 */
export function kvCacheBytes(cache: KvCache): number {
  let n = 0;
  for (const l of cache.layers) n += (l.k.size + l.v.size) * 4;
  return n;
}

/**
 * Disposes every tensor of a cache (nothing for undefined).
 *
 * @param cache - the cache
 * @example
 * ```ts
 * disposeKvCache(out.cache);
 * ```
 */
export function disposeKvCache(cache: KvCache | undefined): void {
  if (cache === undefined) return;
  for (const l of cache.layers) {
    l.k.dispose();
    l.v.dispose();
  }
}

/**
 * Output of one decoder step.
 *
 * @example
 * ```ts
 * const { hidden, cache }: LlamaStepOutput = decoderForward(cfg, w, embeds, valid, positions, undefined);
 * ```
 */
export interface LlamaStepOutput {
  /** Final-norm hidden states `[batch, length, hidden]` of the new tokens. */
  readonly hidden: tf.Tensor3D;
  /** The cache extended by the new tokens (the input cache is not disposed). */
  readonly cache: KvCache;
}

/**
 * Which position axis (0 = temporal, 1 = height, 2 = width) each of the `headDim / 2` rotary frequencies takes under
 * M-RoPE. HF's `apply_multimodal_rotary_pos_emb` splits the doubled `[cos, cos]` table of width `headDim` into
 * `mrope_section * 2` chunks and gives chunk i the axis i mod 3, so frequency j and its twin j + headDim/2 read the
 * same axis: the first `section[0]` frequencies the temporal id, the next `section[1]` the height id, the rest the
 * width id.
 * @internal
 */
export function mropeAxes(section: readonly [number, number, number]): Uint8Array {
  const half = section[0] + section[1] + section[2];
  const axes = new Uint8Array(half);
  for (let j = 0; j < half; j++) axes[j] = j < section[0] ? 0 : j < section[0] + section[1] ? 1 : 2;
  return axes;
}

/**
 * Runs the decoder (LLaMA, Mistral or Qwen2) on new input embeddings, attending to a cache of earlier tokens.
 *
 * Positions: one id per new token for 1-D RoPE. With M-RoPE (`cfg.mropeSection`), a row holds `3 × length` ids laid
 * out `[t…, h…, w…]` (HF's `position_ids[:, row, :]`), or `length` ids for text-only steps (t = h = w).
 *
 * @param cfg - decoder config
 * @param w - weights named relative to the decoder (`embed_tokens.weight`, `layers.0.self_attn.q_proj.weight`,
 *   `norm.weight`); see {@link scopeWeights}. Linear weights are held `[in, out]`.
 * @param inputs - `[batch, length, hidden]` input embeddings of the new tokens
 * @param valid - per row, 1 for a real token and 0 for left padding among the new tokens
 * @param positions - per row, position ids of the new tokens (ignored for padding)
 * @param cache - earlier tokens, or undefined for a prefill
 * @returns final-norm hidden states of the new tokens and the extended cache (the caller disposes both)
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when a row's positions or validity have the wrong length
 * @example
 * ```ts
 * // One row of L tokens, M-RoPE ids [t…, h…, w…]; no cache (a prefill).
 * const { hidden, cache } = decoderForward(cfg.text, scopeWeights(w, 'model.'), embeds, [new Uint8Array(L).fill(1)], [ids], undefined);
 * const logits = projectLogits(w('lm_head.weight'), tf.reshape(hidden, [L, -1]), true);
 * disposeKvCache(cache);
 * ```
 */
export function decoderForward(
  cfg: LlamaTextConfig,
  w: WeightAccessor,
  inputs: tf.Tensor3D,
  valid: readonly Uint8Array[],
  positions: readonly Int32Array[],
  cache: KvCache | undefined,
): LlamaStepOutput {
  const [b, len] = inputs.shape;
  const past = cache?.length ?? 0;
  const total = past + len;
  const hd = cfg.headDim;
  const heads = cfg.numHeads;
  const kvHeads = cfg.numKvHeads;
  const rep = heads / kvHeads;
  const mrope = cfg.mropeSection;
  if (valid.length !== b || positions.length !== b) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `decoder: ${b} rows of inputs but ${valid.length} validity rows and ${positions.length} position rows.`);
  }
  for (let r = 0; r < b; r++) {
    const n = positions[r]!.length;
    if (valid[r]!.length !== len || !(n === len || (mrope !== null && n === 3 * len))) {
      throw new ResPruneError(
        'E_SHAPE_MISMATCH',
        `decoder: row ${r} has ${valid[r]!.length} validity flags and ${n} position ids for ${len} tokens (expected ${len}${mrope !== null ? ` or 3 × ${len} for M-RoPE` : ''}).`,
      );
    }
  }
  // Host-side: validity of every key slot, additive attention bias, RoPE tables.
  const keyValid = valid.map((v, r) => {
    const all = new Uint8Array(total);
    if (cache !== undefined) all.set(cache.valid[r]!, 0);
    all.set(v, past);
    return all;
  });
  // Positions of every slot only matter for the sliding window (1-D RoPE); cached ones are rebuilt from validity.
  const allPos =
    cfg.slidingWindow === null
      ? undefined
      : positions.map((p, r) => {
          const a = new Int32Array(total);
          let pos = 0;
          for (let t = 0; t < past; t++) {
            a[t] = pos;
            if (keyValid[r]![t]) pos++;
          }
          a.set(p, past);
          return a;
        });
  const bias = new Float32Array(b * len * total);
  const NEG = -1e9;
  for (let r = 0; r < b; r++) {
    for (let i = 0; i < len; i++) {
      const qi = past + i;
      for (let t = 0; t < total; t++) {
        let ok = t <= qi && keyValid[r]![t] === 1;
        if (ok && allPos !== undefined && allPos[r]![qi]! - allPos[r]![t]! >= cfg.slidingWindow!) ok = false;
        bias[(r * len + i) * total + t] = ok ? 0 : NEG;
      }
    }
  }
  // RoPE tables at the full [batch, heads, len, headDim] shape, so every multiply is a same-shape op (the cpu
  // backend's broadcasting path is slow); rotate_half(x) = gather(x, perm) · sign, with the sign folded into sin.
  const half = hd / 2;
  const invFreq = new Float32Array(half);
  for (let j = 0; j < half; j++) invFreq[j] = 1 / Math.pow(cfg.ropeTheta, (2 * j) / hd);
  const axes = mrope === null ? undefined : mropeAxes(mrope);
  const table = (nHeads: number): { cos: Float32Array; sin: Float32Array } => {
    const cos = new Float32Array(b * nHeads * len * hd);
    const sin = new Float32Array(b * nHeads * len * hd);
    for (let r = 0; r < b; r++) {
      const pr = positions[r]!;
      const perAxis = pr.length === 3 * len && len > 0 && axes !== undefined;
      for (let i = 0; i < len; i++) {
        const p1 = Math.fround(pr[i]! / cfg.ropeLinearFactor);
        for (let j = 0; j < half; j++) {
          const p = perAxis ? Math.fround(pr[axes[j]! * len + i]! / cfg.ropeLinearFactor) : p1;
          const ang = Math.fround(p * invFreq[j]!);
          const c = Math.cos(ang);
          const sn = Math.sin(ang);
          for (let h = 0; h < nHeads; h++) {
            const o = ((r * nHeads + h) * len + i) * hd;
            cos[o + j] = cos[o + j + half] = c;
            sin[o + j] = -sn;
            sin[o + j + half] = sn;
          }
        }
      }
    }
    return { cos, sin };
  };
  const qTab = table(heads);
  const kTab = kvHeads === heads ? qTab : table(kvHeads);
  const perm = new Int32Array(hd);
  for (let j = 0; j < hd; j++) perm[j] = j < half ? j + half : j - half;
  const out = tf.tidy(() => {
    const biasT = tf.tensor(bias, [b, len, total]);
    const qCos = tf.tensor(qTab.cos, [b, heads, len, hd]);
    const qSin = tf.tensor(qTab.sin, [b, heads, len, hd]);
    const kCos = kTab === qTab ? qCos : tf.tensor(kTab.cos, [b, kvHeads, len, hd]);
    const kSin = kTab === qTab ? qSin : tf.tensor(kTab.sin, [b, kvHeads, len, hd]);
    const permT = tf.tensor1d(perm, 'int32');
    const rope = (x: tf.Tensor4D, cosT: tf.Tensor, sinT: tf.Tensor): tf.Tensor4D =>
      tf.add(tf.mul(x, cosT), tf.mul(tf.gather(x, permT, 3), sinT)) as tf.Tensor4D;
    const heads4 = (t: tf.Tensor, n: number): tf.Tensor4D => tf.transpose(tf.reshape(t, [b, len, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const proj = (x: tf.Tensor, l: string, name: string): tf.Tensor =>
      linear(x, w(`${l}self_attn.${name}.weight`), cfg.attentionBias ? w(`${l}self_attn.${name}.bias`) : undefined);
    let h: tf.Tensor = inputs;
    const newLayers: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];
    for (let i = 0; i < cfg.numLayers; i++) {
      const l = `layers.${i}.`;
      // One tidy per layer: only the residual stream and the new keys/values outlive it.
      const prev = h;
      const layer = tf.tidy(() => {
        const x = rmsNorm(prev, w(`${l}input_layernorm.weight`), cfg.rmsNormEps);
        const q = rope(heads4(proj(x, l, 'q_proj'), heads), qCos, qSin);
        let k = rope(heads4(proj(x, l, 'k_proj'), kvHeads), kCos, kSin);
        let v = heads4(proj(x, l, 'v_proj'), kvHeads);
        if (cache !== undefined) {
          k = tf.concat([cache.layers[i]!.k, k], 2);
          v = tf.concat([cache.layers[i]!.v, v], 2);
        }
        // Grouped-query attention without copying K/V: the `rep` query heads of one group share a KV head.
        const qg = tf.reshape(tf.mul(q, 1 / Math.sqrt(hd)), [b, kvHeads, rep * len, hd]) as tf.Tensor4D;
        const scores = tf.reshape(batchMatMul(qg, k, true), [b, heads, len, total]);
        const probs = tf.reshape(maskedSoftmax(scores, biasT), [b, kvHeads, rep * len, total]) as tf.Tensor4D;
        const ctx = tf.reshape(tf.transpose(tf.reshape(batchMatMul(probs, v, false), [b, heads, len, hd]), [0, 2, 1, 3]), [b, len, heads * hd]);
        const h1 = tf.add(prev, linear(ctx, w(`${l}self_attn.o_proj.weight`)));
        const y = rmsNorm(h1, w(`${l}post_attention_layernorm.weight`), cfg.rmsNormEps);
        const gate = activation(linear(y, w(`${l}mlp.gate_proj.weight`)), cfg.hiddenAct);
        return { h: tf.add(h1, linear(tf.mul(gate, linear(y, w(`${l}mlp.up_proj.weight`))), w(`${l}mlp.down_proj.weight`))), k, v };
      });
      if (prev !== inputs) prev.dispose();
      newLayers.push({ k: layer.k, v: layer.v });
      h = layer.h;
    }
    const hidden = rmsNorm(h, w('norm.weight'), cfg.rmsNormEps) as tf.Tensor3D;
    return { hidden, layers: newLayers };
  });
  const nextPosition = positions.map((p, r) => {
    let last = cache?.nextPosition[r] ?? 0;
    const perAxis = p.length === 3 * len && len > 0 && mrope !== null;
    for (let i = 0; i < len; i++) {
      if (!valid[r]![i]) continue;
      if (perAxis) last = Math.max(last, p[i]! + 1, p[len + i]! + 1, p[2 * len + i]! + 1);
      else last = p[i]! + 1;
    }
    return last;
  });
  return { hidden: out.hidden, cache: { layers: out.layers, length: total, valid: keyValid, nextPosition } };
}


/**
 * Logits `[rows, vocab]` for hidden states `[rows, hidden]` with an output weight held `[hidden, vocab]`
 * (`transposed`) or `[vocab, hidden]` (tied to the embedding table). Caller owns the result.
 *
 * @param weight - `lm_head` as loaded (`[hidden, vocab]`) or the tied embedding table (`[vocab, hidden]`)
 * @param hidden - `[rows, hidden]`
 * @param transposed - true when `weight` is `[hidden, vocab]`
 * @returns `[rows, vocab]`
 * @example
 * ```ts
 * const logits = projectLogits(embedTable, lastHidden, false); // tied embeddings
 * ```
 */
export function projectLogits(weight: tf.Tensor, hidden: tf.Tensor2D, transposed: boolean): tf.Tensor2D {
  return tf.matMul(hidden, weight as tf.Tensor2D, false, !transposed);
}

