import { loadWeights, type CheckpointFiles, type LoadedWeights, type LoadWeightsOptions } from '../../checkpoint.js';
import { llamaWeightSpec, type DecoderNames } from '../../models/llama.js';
import type { Qwen2VlModelConfig } from './config.js';

/** The Qwen-VL decoder in the published hub layout (`model.layers.0…`, `lm_head.weight`). @internal */
export const QWEN_DECODER: DecoderNames = { prefix: 'model.', lmHead: 'lm_head.weight' };
/** Canonical name of the embedding table. @internal */
export const QWEN_EMBED_TOKENS = `${QWEN_DECODER.prefix}embed_tokens.weight`;
/** Prefix of the vision tower's tensors in the published hub layout. @internal */
export const QWEN_VISUAL_PREFIX = 'visual.';

/**
 * Tensor-name layout of a Qwen-VL checkpoint.
 *
 * - `published`: the names of the `Qwen/Qwen2.5-VL-*` and `Qwen/Qwen2-VL-*` repositories (`visual.blocks.0…`,
 *   `model.layers.0…`, `model.embed_tokens.weight`, `lm_head.weight`).
 * - `transformers`: what `save_pretrained` writes since transformers 4.52 (`model.visual.blocks.0…`,
 *   `model.language_model.layers.0…`, `lm_head.weight`).
 */
export type QwenTensorLayout = 'published' | 'transformers';

/**
 * Maps a canonical (published) Qwen-VL tensor name to its name in `layout`.
 *
 * @param canonical - e.g. `model.layers.0.self_attn.q_proj.weight`
 * @param layout - target layout
 * @returns the stored name, e.g. `model.language_model.layers.0.self_attn.q_proj.weight`
 * @example
 * ```ts
 * qwenLayoutName('visual.merger.ln_q.weight', 'transformers'); // 'model.visual.merger.ln_q.weight'
 * ```
 */
export function qwenLayoutName(canonical: string, layout: QwenTensorLayout): string {
  if (layout === 'published' || canonical === QWEN_DECODER.lmHead) return canonical;
  if (canonical.startsWith(QWEN_VISUAL_PREFIX)) return `model.${canonical}`;
  if (canonical.startsWith(QWEN_DECODER.prefix)) return `model.language_model.${canonical.slice(QWEN_DECODER.prefix.length)}`;
  return canonical;
}

/**
 * Detects the name layout of a Qwen-VL checkpoint from its stored tensor names.
 *
 * @param names - stored tensor names
 * @returns `transformers` when any name starts with `model.visual.` or `model.language_model.`, else `published`
 * @example
 * ```ts
 * detectQwenLayout(['model.visual.patch_embed.proj.weight']); // 'transformers'
 * ```
 */
export function detectQwenLayout(names: Iterable<string>): QwenTensorLayout {
  for (const n of names) if (n.startsWith('model.visual.') || n.startsWith('model.language_model.')) return 'transformers';
  return 'published';
}

/**
 * Every tensor a Qwen2-VL / Qwen2.5-VL model needs, canonical (published) name → shape, in the checkpoints' order:
 * vision tower, merger, then the decoder and `lm_head` (listed even when tied: {@link qwenFallbacks} lets it be
 * absent).
 *
 * @param cfg - parsed config
 * @returns canonical name → shape
 * @example
 * ```ts
 * qwenWeightSpec(cfg).get('visual.patch_embed.proj.weight'); // [1280, 3, 2, 14, 14]
 * ```
 */
export function qwenWeightSpec(cfg: Qwen2VlModelConfig): Map<string, number[]> {
  const v = cfg.vision;
  const c = v.hiddenSize;
  const p = QWEN_VISUAL_PREFIX;
  const spec = new Map<string, number[]>([[`${p}patch_embed.proj.weight`, [c, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize]]]);
  const norm = (name: string, dim: number): void => {
    spec.set(`${name}.weight`, [dim]);
    if (v.norm === 'layer') spec.set(`${name}.bias`, [dim]);
  };
  const lin = (name: string, out: number, inDim: number): void => {
    spec.set(`${name}.weight`, [out, inDim]);
    spec.set(`${name}.bias`, [out]);
  };
  for (let i = 0; i < v.depth; i++) {
    const b = `${p}blocks.${i}.`;
    norm(`${b}norm1`, c);
    norm(`${b}norm2`, c);
    lin(`${b}attn.qkv`, 3 * c, c);
    lin(`${b}attn.proj`, c, c);
    if (v.norm === 'rms') {
      lin(`${b}mlp.gate_proj`, v.intermediateSize, c);
      lin(`${b}mlp.up_proj`, v.intermediateSize, c);
      lin(`${b}mlp.down_proj`, c, v.intermediateSize);
    } else {
      lin(`${b}mlp.fc1`, v.intermediateSize, c);
      lin(`${b}mlp.fc2`, c, v.intermediateSize);
    }
  }
  const merged = c * v.spatialMergeSize * v.spatialMergeSize;
  norm(`${p}merger.ln_q`, c);
  lin(`${p}merger.mlp.0`, merged, merged);
  lin(`${p}merger.mlp.2`, v.outHiddenSize, merged);
  for (const [k, s] of llamaWeightSpec(cfg.text, QWEN_DECODER)) spec.set(k, s);
  return spec;
}

/**
 * Whether a canonical Qwen-VL tensor is a linear layer's `[out, in]` weight, to hold transposed (`[in, out]`) after
 * loading: the vision `qkv`/`proj`/MLP projections, the merger's two linears, the decoder's projections and `lm_head`
 * (not the embedding table, the norms, the biases or the Conv3d patch embedding).
 *
 * @param name - canonical name
 * @returns true for a linear weight
 * @example
 * ```ts
 * isQwenLinearWeight('visual.merger.mlp.0.weight'); // true
 * ```
 */
export function isQwenLinearWeight(name: string): boolean {
  return (
    name === QWEN_DECODER.lmHead ||
    /\.(qkv|proj|q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj|fc1|fc2|mlp\.0|mlp\.2)\.weight$/.test(name)
  ) && !name.endsWith('patch_embed.proj.weight');
}

/**
 * Tied embeddings: when `tie_word_embeddings` is set (Qwen2.5-VL-3B, Qwen2-VL-2B), `lm_head.weight` may be absent
 * and reads the embedding table instead.
 *
 * @param cfg - parsed config
 * @returns canonical name → canonical stand-in
 * @example
 * ```ts
 * qwenFallbacks(cfg3b).get('lm_head.weight'); // 'model.embed_tokens.weight'
 * ```
 */
export function qwenFallbacks(cfg: Qwen2VlModelConfig): Map<string, string> {
  return cfg.text.tieWordEmbeddings ? new Map([[QWEN_DECODER.lmHead, QWEN_EMBED_TOKENS]]) : new Map();
}

/**
 * Loads a Qwen-VL checkpoint's tensors by canonical name, in either name layout, with linear weights held transposed
 * and a tied `lm_head` read from the embedding table. Wraps {@link loadWeights} (same checks, errors and memory
 * behaviour); `layout` is `transformers-4.52` for the names recent transformers write, and `qwenLayout` names it the Qwen way.
 *
 * @param files - from {@link locateWeights}
 * @param cfg - parsed config
 * @param options - progress callback
 * @returns the tensors by canonical name, the detected Qwen layout, and which are transposed
 * @throws {@link @resprune/errors!ResPruneError} as {@link loadWeights}: `E_TENSOR_MISSING` (the stored name), `E_TENSOR_SHAPE`, …
 * @example
 * ```ts
 * const w = await loadQwenWeights(locateWeights(dir), cfg);
 * w.tensors.get('visual.merger.mlp.2.weight')!.shape; // [5120, 3584]
 * ```
 */
export async function loadQwenWeights(
  files: CheckpointFiles,
  cfg: Qwen2VlModelConfig,
  options: Pick<LoadWeightsOptions, 'onProgress' | 'signal' | 'checkFinite'> = {},
): Promise<LoadedWeights & { readonly qwenLayout: QwenTensorLayout }> {
  const qwenLayout = detectQwenLayout(files.weightMap.keys());
  const loaded = await loadWeights({ ...files, layout: qwenLayout === 'transformers' ? 'transformers-4.52' : 'published' }, qwenWeightSpec(cfg), {
    ...options,
    fallbacks: qwenFallbacks(cfg),
    transpose: isQwenLinearWeight,
    storedName: (canonical) => qwenLayoutName(canonical, qwenLayout),
  });
  return { ...loaded, qwenLayout };
}
