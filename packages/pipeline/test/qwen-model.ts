/**
 * Test helpers that run the Qwen-VL model pieces on a prompt: vision tower, inputs_embeds with the image tokens
 * scattered in, compaction by the backbone adapter (pruning), and the decoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createQwenVlAdapter } from '@resprune/backbone-qwen-vl';
import { promptFromInputIds, type BackboneAdapter, type CompactedInput, type VisualLayout } from '@resprune/backbones';
import { readJsonFile, locateWeights, loadQwenWeights, parseQwen2VlConfig, encodeQwenVision, type GridThw, type Qwen2VlModelConfig } from '../src/index.js';
import { decoderForward, projectLogits, scopeWeights, type KvCache } from '../src/models/llama.js';
import { syntheticPatches } from './qwen-fixtures.js';

/** A loaded tiny checkpoint. */
export interface LoadedQwen {
  readonly cfg: Qwen2VlModelConfig;
  readonly w: (name: string) => tf.Tensor;
  readonly headTransposed: boolean;
  readonly dispose: () => void;
}

/** Loads a checkpoint directory's config and weights. */
export async function loadQwen(dir: string): Promise<LoadedQwen> {
  const cfg = parseQwen2VlConfig(readJsonFile(`${dir}/config.json`));
  const weights = await loadQwenWeights(locateWeights(dir), cfg);
  const w = (name: string): tf.Tensor => {
    const t = weights.tensors.get(name);
    if (t === undefined) throw new Error(`no weight ${name}`);
    return t;
  };
  return {
    cfg,
    w,
    headTransposed: weights.transposed.has('lm_head.weight'),
    dispose: () => new Set(weights.tensors.values()).forEach((t) => t.dispose()),
  };
}

/** The Qwen backbone adapter with the tiny checkpoints' processor bounds (images are given at their resized size). */
export function qwenAdapter(cfg: Qwen2VlModelConfig): BackboneAdapter {
  return createQwenVlAdapter(
    { id: cfg.modelType === 'qwen2_5_vl' ? 'qwen2.5-vl' : 'qwen2-vl', modelType: cfg.modelType },
    { patchSize: 14, mergeSize: 2, minPixels: 28 * 28, maxPixels: 28 * 28 * 16384, imageTokenId: cfg.imageTokenId, visionStartTokenId: 151652, visionEndTokenId: 151653 },
  );
}

/** The layout of images whose patch grids are `grids`. */
export function qwenLayout(cfg: Qwen2VlModelConfig, grids: readonly GridThw[]): VisualLayout {
  return qwenAdapter(cfg).layout(grids.map(([, h, w]) => ({ width: w * 14, height: h * 14 })));
}

/** Synthetic patches for a list of grids. */
export function patchesFor(cfg: Qwen2VlModelConfig, grids: readonly GridThw[]): tf.Tensor2D {
  const rows = grids.reduce((a, [t, h, w]) => a + t * h * w, 0);
  const cols = cfg.vision.inChannels * cfg.vision.temporalPatchSize * cfg.vision.patchSize ** 2;
  return tf.tensor2d(syntheticPatches(rows, cols), [rows, cols]);
}

/** What {@link prepareInputs} returns (caller disposes `vision` and `embeds`). */
export interface PreparedInputs {
  /** Merged image tokens `[N, hidden]` (unpruned). */
  readonly vision: tf.Tensor2D;
  /** Kept rows' input embeddings `[1, L', hidden]`. */
  readonly embeds: tf.Tensor3D;
  /** Compaction by the adapter: rows and M-RoPE ids. */
  readonly compacted: CompactedInput;
  /** M-RoPE ids `[t…, h…, w…]` of the kept rows. */
  readonly positions: Int32Array;
}

/**
 * Vision tower on synthetic patches, inputs_embeds with the image tokens scattered at the `<|image_pad|>` rows, and
 * the rows and M-RoPE ids that stay after keeping `kept` (null = every image token), as the adapter's `compact()`
 * computes them.
 */
export function prepareInputs(m: LoadedQwen, ids: readonly number[], grids: readonly GridThw[], kept: readonly number[] | null): PreparedInputs {
  const layout = qwenLayout(m.cfg, grids);
  const prompt = promptFromInputIds(ids, m.cfg.imageTokenId, layout);
  const compacted = qwenAdapter(m.cfg).compact(layout, kept ?? Array.from({ length: layout.tokens }, (_, i) => i), { prompt });
  const patches = patchesFor(m.cfg, grids);
  const vision = encodeQwenVision(m.cfg, m.w, patches, grids);
  patches.dispose();
  // Row r of the full sequence reads the embedding table (text) or image token j (the j-th <|image_pad|>).
  const L = ids.length;
  const src = new Int32Array(L);
  let j = 0;
  for (let r = 0; r < L; r++) src[r] = ids[r] === m.cfg.imageTokenId ? L + j++ : r;
  const keepIdx = Int32Array.from(compacted.keep, (r) => src[r]!);
  const embeds = tf.tidy(() => {
    const text = tf.gather(m.w('model.embed_tokens.weight'), tf.tensor1d(Int32Array.from(ids), 'int32'));
    return tf.expandDims(tf.gather(tf.concat([text, vision], 0), tf.tensor1d(keepIdx, 'int32')), 0) as tf.Tensor3D;
  });
  const n = compacted.keep.length;
  const positions = new Int32Array(3 * n);
  if (compacted.positions.scheme !== 'mrope') throw new Error('expected M-RoPE positions');
  compacted.positions.ids.forEach(([t, h, w], i) => {
    positions[i] = t;
    positions[n + i] = h;
    positions[2 * n + i] = w;
  });
  return { vision, embeds, compacted, positions };
}

/** Decoder prefill of one row; returns final-norm hidden `[1, L, d]` and the cache (caller disposes both). */
export function prefill(m: LoadedQwen, embeds: tf.Tensor3D, positions: Int32Array, cache?: KvCache): { hidden: tf.Tensor3D; cache: KvCache } {
  const len = embeds.shape[1];
  return decoderForward(m.cfg.text, scopeWeights(m.w, 'model.'), embeds, [new Uint8Array(len).fill(1)], [positions], cache);
}

/** Logits `[rows, vocab]` of hidden states `[rows, d]` (caller disposes). */
export function logitsOf(m: LoadedQwen, hidden: tf.Tensor2D): tf.Tensor2D {
  return projectLogits(m.headTransposed ? m.w('lm_head.weight') : m.w(m.cfg.text.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), hidden, m.headTransposed);
}
