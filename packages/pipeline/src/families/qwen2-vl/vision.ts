import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { activation, batchMatMul, layerNorm, linear, rmsNorm } from '../../models/nn.js';
import { maskedSoftmax } from '../../models/softmax.js';
import type { Qwen2VlModelConfig, Qwen2VlVisionConfig } from './config.js';
import { QWEN_VISUAL_PREFIX } from './weights.js';

/** An image's (or video's) patch grid `[t, h, w]` (HF `image_grid_thw`): frames, patch rows, patch columns. */
export type GridThw = readonly [number, number, number];

/** Eps of every vision norm (HF hard-codes 1e-6 for both members). */
const VISION_EPS = 1e-6;

/**
 * Order of the tower's merge units (groups of `merge²` patches, one LLM token each) and the attention segments.
 *
 * @internal
 */
export interface VisionSchedule {
  /** Unit order inside the tower: `order[k]` is the original unit at position k (HF `window_index`). */
  readonly order: Int32Array;
  /** Full-attention segments in tower order, in patches: one per frame (HF `cu_seqlens`). */
  readonly full: readonly (readonly [number, number])[];
  /** Window segments in tower order, in patches (HF `cu_window_seqlens`, empty windows dropped); = `full` without windows. */
  readonly windows: readonly (readonly [number, number])[];
}

/**
 * HF's `get_window_index` and `cu_seqlens` for a list of grids. With windows (Qwen2.5-VL), each frame's grid of
 * merge units is padded at the bottom and right to a multiple of the window side `window_size / merge / patch` (HF
 * pads by a whole window when the side is already a multiple); windows are visited row-major and their units
 * row-major, padding skipped; empty windows vanish (`unique_consecutive`). Without windows the order is the identity.
 *
 * @param vision - the tower config
 * @param grids - `[t, h, w]` per image, in order
 * @returns unit order and segments
 * @internal
 */
export function visionSchedule(vision: Qwen2VlVisionConfig, grids: readonly GridThw[]): VisionSchedule {
  const m = vision.spatialMergeSize;
  const unit = m * m;
  let units = 0;
  for (const [t, h, w] of grids) units += (t * h * w) / unit;
  const order = new Int32Array(units);
  const full: [number, number][] = [];
  const windows: [number, number][] = [];
  let base = 0; // first unit of the current image
  let k = 0; // next slot of `order`
  let patchAt = 0;
  for (const [t, h, w] of grids) {
    const gh = h / m;
    const gw = w / m;
    for (let f = 0; f < t; f++) {
      full.push([patchAt + f * h * w, patchAt + (f + 1) * h * w]);
    }
    if (vision.windowSize === null) {
      for (let u = 0; u < t * gh * gw; u++) order[k++] = base + u;
      windows.push(...full.slice(full.length - t));
    } else {
      const ws = vision.windowSize / m / vision.patchSize;
      const padH = ws - (gh % ws);
      const padW = ws - (gw % ws);
      const nwh = (gh + padH) / ws;
      const nww = (gw + padW) / ws;
      let start = patchAt;
      for (let f = 0; f < t; f++) {
        for (let wy = 0; wy < nwh; wy++) {
          for (let wx = 0; wx < nww; wx++) {
            let n = 0;
            for (let y = wy * ws; y < Math.min((wy + 1) * ws, gh); y++) {
              for (let x = wx * ws; x < Math.min((wx + 1) * ws, gw); x++) {
                order[k++] = base + (f * gh + y) * gw + x;
                n++;
              }
            }
            if (n > 0) {
              windows.push([start, start + n * unit]);
              start += n * unit;
            }
          }
        }
      }
    }
    base += t * gh * gw;
    patchAt += t * h * w;
  }
  return { order, full, windows };
}

/**
 * The vision rotary tables in tower order, `[patches, headDim]`: patch (row y, column x) rotates frequency
 * `q < headDim/4` by `y · θ_q` and `q ≥ headDim/4` by `x · θ_(q − headDim/4)`, θ_j = 10000^(−4j / headDim), and
 * the twin dimension `q + headDim/2` by the same angle (HF's `rot_pos_emb` + `cat((emb, emb))`). Patches of a merge
 * unit are consecutive (the processor's order).
 */
function rotaryTables(vision: Qwen2VlVisionConfig, grids: readonly GridThw[], order: Int32Array): { cos: Float32Array; sin: Float32Array } {
  const m = vision.spatialMergeSize;
  const unit = m * m;
  const hd = vision.hiddenSize / vision.numHeads;
  const half = hd / 2;
  const quarter = hd / 4;
  const invFreq = new Float32Array(quarter);
  for (let j = 0; j < quarter; j++) invFreq[j] = 1 / Math.pow(10000, (2 * j) / half);
  // (y, x) of each original unit's first patch and the image width in units.
  const unitY: number[] = [];
  const unitX: number[] = [];
  for (const [t, h, w] of grids) {
    for (let f = 0; f < t; f++) {
      for (let by = 0; by < h / m; by++) {
        for (let bx = 0; bx < w / m; bx++) {
          unitY.push(by * m);
          unitX.push(bx * m);
        }
      }
    }
  }
  const n = order.length * unit;
  const cos = new Float32Array(n * hd);
  const sin = new Float32Array(n * hd);
  for (let k = 0; k < order.length; k++) {
    const u = order[k]!;
    for (let dy = 0; dy < m; dy++) {
      for (let dx = 0; dx < m; dx++) {
        const row = k * unit + dy * m + dx;
        const y = unitY[u]! + dy;
        const x = unitX[u]! + dx;
        for (let q = 0; q < half; q++) {
          const ang = q < quarter ? Math.fround(y * invFreq[q]!) : Math.fround(x * invFreq[q - quarter]!);
          const c = Math.cos(ang);
          const s = Math.sin(ang);
          const o = row * hd;
          cos[o + q] = cos[o + q + half] = c;
          // rotate_half(x) = [-x2, x1]: fold the sign into sin, as the decoder does.
          sin[o + q] = -s;
          sin[o + q + half] = s;
        }
      }
    }
  }
  return { cos, sin };
}

/** Most attention scores one product holds; bigger segment groups run in query chunks (exact: softmax is per query). */
const MAX_SCORES = 1 << 24;

/**
 * Attention over segments of a sequence: segments of equal length run as one batched product, so the many
 * same-size windows of Qwen2.5-VL cost a few matmuls; a long segment (full attention over a large image) runs in
 * chunks of queries so the scores stay under {@link MAX_SCORES} floats.
 *
 * @param q - `[S, heads, hd]` (already rotated); `k`, `v` likewise
 * @param segments - `[start, end)` ranges covering the sequence
 * @param maxScores - score budget per product
 * @returns `[S, heads · hd]` in sequence order (caller owns; call inside a tidy)
 * @internal
 */
export function segmentAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  segments: readonly (readonly [number, number])[],
  maxScores: number = MAX_SCORES,
): tf.Tensor2D {
  const [s, heads, hd] = q.shape;
  const scale = 1 / Math.sqrt(hd);
  // [n, heads, len, hd] blocks → [n, heads, len, hd] context.
  const attend = (qg: tf.Tensor4D, kg: tf.Tensor4D, vg: tf.Tensor4D): tf.Tensor => {
    const [n, , len] = qg.shape;
    const rows = Math.max(1, Math.floor(maxScores / (n * heads * len)));
    const one = (qc: tf.Tensor): tf.Tensor => batchMatMul(maskedSoftmax(batchMatMul(tf.mul(qc, scale), kg, true)), vg, false);
    if (rows >= len) return one(qg);
    const parts: tf.Tensor[] = [];
    for (let a = 0; a < len; a += rows) parts.push(tf.tidy(() => one(tf.slice(qg, [0, 0, a, 0], [-1, -1, Math.min(rows, len - a), -1]))));
    return tf.concat(parts, 2);
  };
  if (segments.length === 1 && segments[0]![0] === 0 && segments[0]![1] === s) {
    const t = (x: tf.Tensor3D): tf.Tensor4D => tf.expandDims(tf.transpose(x, [1, 0, 2]), 0) as tf.Tensor4D;
    return tf.reshape(tf.transpose(attend(t(q), t(k), t(v)), [0, 2, 1, 3]), [s, heads * hd]) as tf.Tensor2D;
  }
  const byLen = new Map<number, number[]>();
  for (const [a, b] of segments) {
    const list = byLen.get(b - a) ?? [];
    list.push(a);
    byLen.set(b - a, list);
  }
  const gathered: number[] = [];
  const outs: tf.Tensor[] = [];
  for (const [len, starts] of byLen) {
    const idx = new Int32Array(starts.length * len);
    starts.forEach((a, i) => {
      for (let j = 0; j < len; j++) idx[i * len + j] = a + j;
    });
    gathered.push(...idx);
    const idxT = tf.tensor1d(idx, 'int32');
    const group = (x: tf.Tensor3D): tf.Tensor4D => tf.transpose(tf.reshape(tf.gather(x, idxT), [starts.length, len, heads, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const ctx = attend(group(q), group(k), group(v));
    outs.push(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [starts.length * len, heads * hd]));
  }
  const inv = new Int32Array(s);
  gathered.forEach((pos, i) => {
    inv[pos] = i;
  });
  return tf.gather(outs.length === 1 ? outs[0]! : tf.concat(outs, 0), tf.tensor1d(inv, 'int32')) as tf.Tensor2D;
}

function checkInputs(v: Qwen2VlVisionConfig, patches: tf.Tensor, grids: readonly GridThw[]): void {
  const k = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  if (grids.length === 0) throw new ResPruneError('E_SHAPE_MISMATCH', 'encodeQwenVision: no image grids.');
  let total = 0;
  grids.forEach((g, i) => {
    const ok = g.length === 3 && g.every((x) => Number.isSafeInteger(x) && x > 0);
    if (!ok || g[1] % v.spatialMergeSize !== 0 || g[2] % v.spatialMergeSize !== 0) {
      throw new ResPruneError(
        'E_SHAPE_MISMATCH',
        `encodeQwenVision: grid ${i} is ${JSON.stringify(g)}; expected [t, h, w] positive integers with h and w multiples of spatial_merge_size ${v.spatialMergeSize}.`,
      );
    }
    total += g[0] * g[1] * g[2];
  });
  if (patches.rank !== 2 || patches.shape[0] !== total || patches.shape[1] !== k) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `encodeQwenVision: patches must be [${total}, ${k}] (sum of t·h·w over the grids, channels·temporal_patch·patch²), got [${patches.shape.join(', ')}].`,
      { details: { expected: [total, k], received: [...patches.shape] } },
    );
  }
}

/**
 * Qwen2-VL / Qwen2.5-VL vision tower and patch merger: flattened pixel patches in, one LLM-width token per
 * `merge × merge` patches out, in the order of the prompt's `<|image_pad|>` tokens (image after image, each row-major
 * over its merged grid), as HF's `model.visual(pixel_values, grid_thw)` returns them.
 *
 * Steps: Conv3d patch embedding (kernel = stride, as one matmul); 2-D rotary positions; Qwen2.5-VL reorders the
 * merge units into windows (`get_window_index`) and attends inside windows except in `fullatt_block_indexes`, where
 * (as in every Qwen2-VL block) attention spans one frame of one image and never crosses images; blocks are
 * RMSNorm + SwiGLU (Qwen2.5-VL) or LayerNorm + `fc1 → act → fc2` (Qwen2-VL); the merger applies `ln_q`, groups
 * `merge²` patches and runs `Linear → GELU → Linear`; the window order is undone last.
 *
 * @param cfg - parsed config
 * @param w - weights by canonical name (`visual.…`), linear weights held `[in, out]` (see {@link isQwenLinearWeight})
 * @param patches - `[Σ t·h·w, channels · temporal_patch · patch²]`, the processor's `pixel_values` rows (each merge
 *   unit's patches consecutive, each row flattened channel, frame, y, x)
 * @param grids - `[t, h, w]` per image in patches (HF `image_grid_thw`)
 * @returns `[Σ t·h·w / merge², outHiddenSize]` (caller owns)
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the patches do not match the grids or a grid is not a
 *   multiple of the merge size
 * @example
 * ```ts
 * const tokens = encodeQwenVision(cfg, (n) => weights.tensors.get(n)!, pixelValues, [[1, 36, 36]]);
 * tokens.shape; // [324, 2048] for Qwen2.5-VL-3B
 * ```
 */
export function encodeQwenVision(
  cfg: Qwen2VlModelConfig,
  w: (name: string) => tf.Tensor,
  patches: tf.Tensor2D,
  grids: readonly GridThw[],
): tf.Tensor2D {
  const v = cfg.vision;
  checkInputs(v, patches, grids);
  const sched = visionSchedule(v, grids);
  const { cos, sin } = rotaryTables(v, grids, sched.order);
  const m = v.spatialMergeSize;
  const unit = m * m;
  const c = v.hiddenSize;
  const heads = v.numHeads;
  const hd = c / heads;
  const s = patches.shape[0];
  const p = QWEN_VISUAL_PREFIX;
  const fullSet = new Set(v.fullAttBlockIndexes);
  const identity = sched.order.every((u, i) => u === i);
  const cosH = tf.tidy(() => tf.tile(tf.tensor(cos, [s, 1, hd]), [1, heads, 1]));
  const sinH = tf.tidy(() => tf.tile(tf.tensor(sin, [s, 1, hd]), [1, heads, 1]));
  const perm = new Int32Array(hd);
  for (let j = 0; j < hd; j++) perm[j] = j < hd / 2 ? j + hd / 2 : j - hd / 2;
  const permT = tf.tensor1d(perm, 'int32');
  const rope = (x: tf.Tensor): tf.Tensor3D => tf.add(tf.mul(x, cosH), tf.mul(tf.gather(x, permT, 2), sinH)) as tf.Tensor3D;
  const norm = (x: tf.Tensor, name: string): tf.Tensor =>
    v.norm === 'rms' ? rmsNorm(x, w(`${name}.weight`), VISION_EPS) : layerNorm(x, w(`${name}.weight`), w(`${name}.bias`), VISION_EPS);
  const lin = (x: tf.Tensor, name: string): tf.Tensor => linear(x, w(`${name}.weight`), w(`${name}.bias`));
  // One tidy per block, so a deep tower holds one block's intermediates at a time.
  let h: tf.Tensor | undefined;
  try {
    h = tf.tidy(() => {
      const pw = tf.reshape(w(`${p}patch_embed.proj.weight`), [c, -1]) as tf.Tensor2D;
      const e = tf.matMul(patches, pw, false, true);
      return identity ? e : tf.reshape(tf.gather(tf.reshape(e, [s / unit, unit, c]), tf.tensor1d(sched.order, 'int32')), [s, c]);
    });
    for (let i = 0; i < v.depth; i++) {
      const b = `${p}blocks.${i}.`;
      const prev: tf.Tensor = h;
      h = tf.tidy(() => {
        const x = norm(prev, `${b}norm1`);
        const qkv = tf.reshape(lin(x, `${b}attn.qkv`), [s, 3, heads, hd]);
        const [q, k, val] = tf.unstack(tf.transpose(qkv, [1, 0, 2, 3])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const segments = v.windowSize === null || fullSet.has(i) ? sched.full : sched.windows;
        const h1 = tf.add(prev, lin(segmentAttention(rope(q), rope(k), val, segments), `${b}attn.proj`));
        const y = norm(h1, `${b}norm2`);
        const mlp =
          v.norm === 'rms'
            ? lin(tf.mul(activation(lin(y, `${b}mlp.gate_proj`), v.hiddenAct), lin(y, `${b}mlp.up_proj`)), `${b}mlp.down_proj`)
            : lin(activation(lin(y, `${b}mlp.fc1`), v.hiddenAct), `${b}mlp.fc2`);
        return tf.add(h1, mlp);
      });
      prev.dispose();
    }
    const last: tf.Tensor = h;
    return tf.tidy(() => {
      const merged = tf.reshape(norm(last, `${p}merger.ln_q`), [s / unit, unit * c]);
      const out = lin(activation(lin(merged, `${p}merger.mlp.0`), 'gelu'), `${p}merger.mlp.2`);
      if (identity) return out as tf.Tensor2D;
      const reverse = new Int32Array(sched.order.length);
      sched.order.forEach((u, k) => {
        reverse[u] = k;
      });
      return tf.gather(out, tf.tensor1d(reverse, 'int32')) as tf.Tensor2D;
    });
  } finally {
    h?.dispose();
    tf.dispose([cosH, sinH, permT]);
  }
}
