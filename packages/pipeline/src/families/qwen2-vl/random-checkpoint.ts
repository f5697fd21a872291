import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gaussian, writeTensorShards } from '../../random-checkpoint.js';
import type { SafetensorsDtype, SafetensorsTensorSpec } from '@resprune/safetensors';
import { parseQwen2VlConfig, type Qwen2VlModelType } from './config.js';
import { QWEN_DECODER, qwenLayoutName, qwenWeightSpec, type QwenTensorLayout } from './weights.js';

/** Options of {@link writeRandomQwenVlCheckpoint}. */
export interface RandomQwenVlCheckpointOptions {
  /** `qwen2_5_vl` (Qwen2.5-VL) or `qwen2_vl` (Qwen2-VL). */
  readonly modelType: Qwen2VlModelType;
  /**
   * Vision tower sizes. `intermediateSize` must be a multiple of `hiddenSize` for `qwen2_vl` (written as
   * `mlp_ratio`). `windowSize` (default 112 px) and `fullAttBlockIndexes` (default: the last block) only apply to
   * `qwen2_5_vl`. Patch 14, temporal patch 2 and merge 2 as published.
   */
  readonly vision: {
    readonly hiddenSize: number;
    readonly intermediateSize: number;
    readonly depth: number;
    readonly numHeads: number;
    readonly windowSize?: number;
    readonly fullAttBlockIndexes?: readonly number[];
  };
  /** Language model sizes; `vocabSize` must cover the tokenizer (151936 as in the 3B/2B models covers `<|image_pad|>`). */
  readonly text: {
    readonly hiddenSize: number;
    readonly intermediateSize: number;
    readonly numLayers: number;
    readonly numHeads: number;
    readonly numKvHeads: number;
    readonly vocabSize: number;
    /** M-RoPE split of the `headDim / 2` rotary frequencies (published: `[16, 24, 24]` of 64). */
    readonly mropeSection: readonly [number, number, number];
  };
  /** `tie_word_embeddings` (Qwen2.5-VL-3B and Qwen2-VL-2B: true; then no `lm_head.weight` is stored). Default false. */
  readonly tieWordEmbeddings?: boolean;
  /** Parsed tokenizer.json to write (a real Qwen2 tokenizer with the vision tokens 151652–151656). */
  readonly tokenizerJson: unknown;
  /** Parsed tokenizer_config.json to write; `chatTemplate` is set as its `chat_template`. */
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  /** Chat template, written to tokenizer_config.json and chat_template.json as the published repositories have it. */
  readonly chatTemplate: string;
  /** Safetensors shards; 1 writes model.safetensors without an index. Default 2. */
  readonly shards?: number;
  /** Stored element type. Default `F32`. */
  readonly dtype?: SafetensorsDtype;
  /** Tensor names: `published` (hub) or `transformers` (as recent `save_pretrained` writes). Default `published`. */
  readonly layout?: QwenTensorLayout;
  /**
   * config.json structure: `published` (language-model fields at the root, as the hub repositories) or `nested`
   * (a `text_config` with `rope_parameters`, as recent transformers write). Default `published`.
   */
  readonly configLayout?: 'published' | 'nested';
  /** PRNG seed. Default 1. */
  readonly seed?: number;
  /** preprocessor_config.json pixel bounds. Defaults 3136 and 12845056 (Qwen2.5-VL-7B-Instruct's). */
  readonly minPixels?: number;
  /** See `minPixels`. */
  readonly maxPixels?: number;
  /** Extra config.json fields (merged last, at the root). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

/** The config.json a {@link writeRandomQwenVlCheckpoint} call writes. */
function qwenConfigJson(o: RandomQwenVlCheckpointOptions): Record<string, unknown> {
  const v25 = o.modelType === 'qwen2_5_vl';
  const t = o.text;
  const v = o.vision;
  const ropeScaling = { type: 'mrope', mrope_section: [...t.mropeSection] };
  const text: Record<string, unknown> = {
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    hidden_act: 'silu',
    hidden_size: t.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: t.intermediateSize,
    max_position_embeddings: v25 ? 128000 : 32768,
    max_window_layers: t.numLayers,
    num_attention_heads: t.numHeads,
    num_hidden_layers: t.numLayers,
    num_key_value_heads: t.numKvHeads,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: o.tieWordEmbeddings ?? false,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: t.vocabSize,
  };
  const vision: Record<string, unknown> = v25
    ? {
        depth: v.depth,
        hidden_act: 'silu',
        hidden_size: v.hiddenSize,
        intermediate_size: v.intermediateSize,
        num_heads: v.numHeads,
        in_chans: 3,
        out_hidden_size: t.hiddenSize,
        patch_size: 14,
        spatial_merge_size: 2,
        spatial_patch_size: 14,
        window_size: v.windowSize ?? 112,
        fullatt_block_indexes: [...(v.fullAttBlockIndexes ?? [v.depth - 1])],
        tokens_per_second: 2,
        temporal_patch_size: 2,
      }
    : {
        depth: v.depth,
        embed_dim: v.hiddenSize,
        mlp_ratio: v.intermediateSize / v.hiddenSize,
        num_heads: v.numHeads,
        in_chans: 3,
        hidden_size: t.hiddenSize,
        patch_size: 14,
        spatial_merge_size: 2,
        spatial_patch_size: 14,
        temporal_patch_size: 2,
      };
  const ids = {
    vision_start_token_id: 151652,
    vision_end_token_id: 151653,
    vision_token_id: 151654,
    image_token_id: 151655,
    video_token_id: 151656,
  };
  const architectures = [v25 ? 'Qwen2_5_VLForConditionalGeneration' : 'Qwen2VLForConditionalGeneration'];
  if (o.configLayout === 'nested') {
    const { rope_theta: ropeTheta, ...rest } = text;
    return {
      architectures,
      ...ids,
      model_type: o.modelType,
      text_config: { ...rest, model_type: `${o.modelType}_text`, rope_parameters: { rope_type: 'default', rope_theta: ropeTheta, mrope_section: [...t.mropeSection] } },
      tie_word_embeddings: o.tieWordEmbeddings ?? false,
      torch_dtype: 'bfloat16',
      transformers_version: '4.57.1',
      vision_config: { ...vision, model_type: o.modelType, in_channels: 3 },
      ...o.extraConfig,
    };
  }
  return {
    architectures,
    ...text,
    ...ids,
    model_type: o.modelType,
    torch_dtype: 'bfloat16',
    transformers_version: '4.41.2',
    vision_config: vision,
    rope_scaling: ropeScaling,
    ...o.extraConfig,
  };
}

/**
 * Writes a random Qwen2.5-VL (`qwen2_5_vl`) or Qwen2-VL (`qwen2_vl`) checkpoint directory in the exact Hugging Face
 * layout of the published repositories: config.json (field names and structure of `Qwen/Qwen2.5-VL-3B-Instruct` /
 * `Qwen/Qwen2-VL-2B-Instruct`, or the nested layout recent transformers write), sharded safetensors with
 * `model.safetensors.index.json`, preprocessor_config.json (`Qwen2VLImageProcessor` fields), generation_config.json,
 * tokenizer.json / tokenizer_config.json and chat_template.json. The same options and seed give the same bytes.
 * Weights keep activations O(1): linears N(0, 1/fan_in), biases N(0, 0.02²), embedding rows N(0, 1), norms near 1.
 * Nothing is downloaded.
 *
 * @param dir - output directory (created)
 * @param options - sizes, tokenizer files, template, tying, layouts, sharding, dtype, seed
 * @returns the stored tensor names
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` when the sizes make an inconsistent config (as
 *   {@link parseQwen2VlConfig} reports it), `E_INVALID_OPTION` for a bad shard count
 * @example
 * ```ts
 * writeRandomQwenVlCheckpoint('/tmp/tiny-qwen25vl', {
 *   modelType: 'qwen2_5_vl',
 *   vision: { hiddenSize: 32, intermediateSize: 48, depth: 4, numHeads: 2, windowSize: 56, fullAttBlockIndexes: [1, 3] },
 *   text: { hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 151936, mropeSection: [2, 3, 3] },
 *   tokenizerJson, tokenizerConfig, chatTemplate,
 * });
 * ```
 */
export function writeRandomQwenVlCheckpoint(dir: string, options: RandomQwenVlCheckpointOptions): string[] {
  const o = options;
  const config = qwenConfigJson(o);
  const parsed = parseQwen2VlConfig(config);
  const spec = qwenWeightSpec(parsed);
  if (parsed.text.tieWordEmbeddings) spec.delete(QWEN_DECODER.lmHead);
  const rand = gaussian(o.seed ?? 1);
  const dtype = o.dtype ?? 'F32';
  const layout = o.layout ?? 'published';
  const tensors: [string, SafetensorsTensorSpec][] = [];
  for (const [name, shape] of spec) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (/(norm\d?|ln_q|layernorm)\.weight$/.test(name)) for (let i = 0; i < n; i++) data[i] = 1 + 0.1 * rand();
    else if (name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = 0.02 * rand();
    else if (name.endsWith('embed_tokens.weight')) for (let i = 0; i < n; i++) data[i] = rand();
    else {
      const std = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
      for (let i = 0; i < n; i++) data[i] = std * rand();
    }
    tensors.push([qwenLayoutName(name, layout), { shape, data, dtype }]);
  }
  writeTensorShards(dir, tensors, o.shards ?? 2, dtype, 'writeRandomQwenVlCheckpoint');
  const v25 = o.modelType === 'qwen2_5_vl';
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(o.tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...o.tokenizerConfig, chat_template: o.chatTemplate }, null, 2));
  writeFileSync(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: o.chatTemplate }, null, 2));
  const pre = {
    min_pixels: o.minPixels ?? 3136,
    max_pixels: o.maxPixels ?? 12845056,
    patch_size: 14,
    temporal_patch_size: 2,
    merge_size: 2,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    image_processor_type: 'Qwen2VLImageProcessor',
    processor_class: v25 ? 'Qwen2_5_VLProcessor' : 'Qwen2VLProcessor',
  };
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(pre, null, 2));
  const gen = {
    bos_token_id: 151643,
    pad_token_id: 151643,
    do_sample: true,
    eos_token_id: [151645, 151643],
    repetition_penalty: 1.05,
    temperature: 0.1,
    top_p: 0.001,
    top_k: 1,
  };
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(gen, null, 2));
  return tensors.map(([n]) => n);
}
