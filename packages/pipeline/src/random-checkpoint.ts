import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResPruneError } from '@resprune/errors';
import { layoutName, WEIGHTS_INDEX_FILE, SINGLE_WEIGHTS_FILE, type TensorNameLayout } from './checkpoint.js';
import { parseLlavaConfig, type ClipVisionConfig, type LlamaTextConfig } from './config.js';
import { llavaWeightSpec } from './models/llava.js';
import { writeSafetensors, type SafetensorsDtype, type SafetensorsTensorSpec } from '@resprune/safetensors';
import { mulberry32Uint32 } from '@resprune/random';

/** Options of {@link writeRandomLlavaCheckpoint}. */
export interface RandomCheckpointOptions {
  /** `llava` (LLaVA-1.5) or `llava_next` (LLaVA-NeXT). */
  readonly modelType: 'llava' | 'llava_next';
  /** CLIP tower sizes. */
  readonly vision: Pick<ClipVisionConfig, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'imageSize' | 'patchSize'>;
  /**
   * Decoder sizes (`modelType` defaults to `llama`). `vocabSize` must cover the tokenizer's ids,
   * `<image>` included (32064 in llava-1.5-7b-hf).
   */
  readonly text: Pick<LlamaTextConfig, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'vocabSize'> &
    Partial<Pick<LlamaTextConfig, 'modelType'>>;
  /** Parsed tokenizer.json to write (a real tokenizer's, with `<image>` as an added token). */
  readonly tokenizerJson: unknown;
  /** Parsed tokenizer_config.json to write. */
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  /** Chat template, written to chat_template.json as the llava-hf processors have it. */
  readonly chatTemplate: string;
  /** Number of safetensors shards; 1 writes model.safetensors without an index. Default 2. */
  readonly shards?: number;
  /** Stored element type. Default `F32`. */
  readonly dtype?: SafetensorsDtype;
  /** Tensor-name layout. Default `published`. */
  readonly layout?: TensorNameLayout;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
  /** Image placeholder id. Default 32000. */
  readonly imageTokenIndex?: number;
  /** Anyres candidates for `llava_next`. Default: 1×2, 2×1, 2×2, 3×1, 1×3 crops of `imageSize`. */
  readonly imageGridPinpoints?: readonly (readonly [number, number])[];
  /** Config `vision_feature_layer`. Default -2. */
  readonly visionFeatureLayer?: number;
  /** Extra config.json fields (merged last). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

/** Seeded standard-normal generator (mulberry32 + Box–Muller): the same seed gives the same bytes. @internal */
export function gaussian(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  const u = (): number => (next() + 0.5) / 4294967296;
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(u()));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/**
 * Writes tensors as a Hugging Face checkpoint's weights: one `model.safetensors`, or `shards` files
 * `model-0000i-of-0000n.safetensors` split by bytes in order, with `model.safetensors.index.json`.
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `shards` is not in [1, tensors]
 * @internal
 */
export function writeTensorShards(dir: string, tensors: readonly [string, SafetensorsTensorSpec][], shards: number, dtype: SafetensorsDtype, who: string): void {
  mkdirSync(dir, { recursive: true });
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > tensors.length) {
    throw new ResPruneError('E_INVALID_OPTION', `${who}: shards must be in [1, ${tensors.length}], got ${shards}.`);
  }
  if (shards === 1) {
    writeSafetensors(join(dir, SINGLE_WEIGHTS_FILE), new Map(tensors));
  } else {
    const bytesPer = dtype === 'F32' ? 4 : 2;
    const total = tensors.reduce((a, [, t]) => a + t.data.length * bytesPer, 0);
    const groups: [string, SafetensorsTensorSpec][][] = Array.from({ length: shards }, () => []);
    let acc = 0;
    tensors.forEach((entry, i) => {
      const remainingTensors = tensors.length - i;
      let g = Math.min(shards - 1, Math.floor((acc / total) * shards));
      // Leave at least one tensor for every later shard.
      g = Math.max(g, shards - remainingTensors);
      groups[g]!.push(entry);
      acc += entry[1].data.length * bytesPer;
    });
    for (let g = 0; g < shards; g++) {
      if (groups[g]!.length === 0) {
        const donor = groups.findIndex((x) => x.length > 1);
        groups[g]!.push(groups[donor]!.pop()!);
      }
    }
    const pad = (k: number): string => String(k).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    groups.forEach((group, g) => {
      const file = `model-${pad(g + 1)}-of-${pad(shards)}.safetensors`;
      writeSafetensors(join(dir, file), new Map(group));
      for (const [name] of group) weightMap[name] = file;
    });
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    writeFileSync(join(dir, WEIGHTS_INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: sorted }, null, 2));
  }
}

/**
 * Writes a random LLaVA-1.5 / LLaVA-NeXT checkpoint directory in the exact Hugging Face layout: config.json
 * (llava-hf field names), sharded safetensors with `model.safetensors.index.json` (or one `model.safetensors`),
 * tokenizer.json / tokenizer_config.json, chat_template.json, preprocessor_config.json and
 * generation_config.json. Weights are drawn so that activations stay O(1): linears N(0, 1/fan_in), embedding
 * rows N(0, 1), norms near 1. Used by the tests and the benchmark; nothing is downloaded.
 *
 * @param dir - output directory (created)
 * @param options - sizes, tokenizer files, template, sharding, dtype, seed
 * @returns the stored tensor names
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_CONFIG` when the sizes are inconsistent
 * @example
 * ```ts
 * writeRandomLlavaCheckpoint('/tmp/tiny-llava', {
 *   modelType: 'llava',
 *   vision: { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2, imageSize: 336, patchSize: 14 },
 *   text: { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 32064 },
 *   tokenizerJson, tokenizerConfig, chatTemplate,
 * });
 * ```
 */
export function writeRandomLlavaCheckpoint(dir: string, options: RandomCheckpointOptions): string[] {
  const o = options;
  const imageTokenIndex = o.imageTokenIndex ?? 32000;
  const s = o.vision.imageSize;
  const pinpoints = o.imageGridPinpoints ?? [[s, 2 * s], [2 * s, s], [2 * s, 2 * s], [3 * s, s], [s, 3 * s]];
  const config: Record<string, unknown> = {
    architectures: [o.modelType === 'llava' ? 'LlavaForConditionalGeneration' : 'LlavaNextForConditionalGeneration'],
    ignore_index: -100,
    image_token_index: imageTokenIndex,
    model_type: o.modelType,
    pad_token_id: imageTokenIndex + 1,
    projector_hidden_act: 'gelu',
    text_config: {
      architectures: [o.text.modelType === 'mistral' ? 'MistralForCausalLM' : 'LlamaForCausalLM'],
      model_type: o.text.modelType ?? 'llama',
      hidden_size: o.text.hiddenSize,
      intermediate_size: o.text.intermediateSize,
      num_hidden_layers: o.text.numLayers,
      num_attention_heads: o.text.numHeads,
      num_key_value_heads: o.text.numKvHeads,
      max_position_embeddings: 4096,
      rms_norm_eps: 1e-5,
      rope_theta: o.text.modelType === 'mistral' ? 1000000 : 10000,
      vocab_size: o.text.vocabSize,
      torch_dtype: 'float16',
    },
    tie_word_embeddings: false,
    torch_dtype: 'float16',
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: o.vision.hiddenSize,
      intermediate_size: o.vision.intermediateSize,
      num_hidden_layers: o.vision.numLayers,
      num_attention_heads: o.vision.numHeads,
      image_size: o.vision.imageSize,
      patch_size: o.vision.patchSize,
      projection_dim: 768,
      hidden_act: 'quick_gelu',
    },
    vision_feature_layer: o.visionFeatureLayer ?? -2,
    vision_feature_select_strategy: 'default',
    vocab_size: o.text.vocabSize,
    ...(o.modelType === 'llava_next' ? { image_grid_pinpoints: pinpoints, use_image_newline_parameter: true } : {}),
    ...o.extraConfig,
  };
  const parsed = parseLlavaConfig(config);
  // Every tensor of the published checkpoints (including the last CLIP layer and post_layernorm, which LLaVA
  // does not use) so the files look like the real ones.
  const full = llavaWeightSpec({ ...parsed, visionFeatureLayer: parsed.vision.numLayers });
  full.set('vision_tower.vision_model.post_layernorm.weight', [o.vision.hiddenSize]);
  full.set('vision_tower.vision_model.post_layernorm.bias', [o.vision.hiddenSize]);
  const rand = gaussian(o.seed ?? 1);
  const dtype = o.dtype ?? 'F32';
  const layout = o.layout ?? 'published';
  const tensors: [string, SafetensorsTensorSpec][] = [];
  for (const [name, shape] of full) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNorm = /norm|layrnorm|layer_norm/.test(name);
    if (isNorm && name.endsWith('.weight')) for (let i = 0; i < n; i++) data[i] = 1 + 0.1 * rand();
    else if (name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = 0.02 * rand();
    else if (name.endsWith('embed_tokens.weight') || name.endsWith('class_embedding') || name.endsWith('position_embedding.weight') || name === 'image_newline') {
      for (let i = 0; i < n; i++) data[i] = rand();
    } else {
      const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
      const std = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) data[i] = std * rand();
    }
    tensors.push([layoutName(name, layout), { shape, data, dtype }]);
  }
  writeTensorShards(dir, tensors, o.shards ?? 2, dtype, 'writeRandomLlavaCheckpoint');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(o.tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(o.tokenizerConfig, null, 2));
  writeFileSync(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: o.chatTemplate }, null, 2));
  const pre: Record<string, unknown> = {
    crop_size: { height: s, width: s },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    image_processor_type: o.modelType === 'llava' ? 'CLIPImageProcessor' : 'LlavaNextImageProcessor',
    processor_class: o.modelType === 'llava' ? 'LlavaProcessor' : 'LlavaNextProcessor',
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: s },
    ...(o.modelType === 'llava_next' ? { image_grid_pinpoints: pinpoints, aspect_ratio_setting: 'anyres' } : {}),
  };
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(pre, null, 2));
  const eos = (o.tokenizerConfig['eos_token'] as string | undefined) === '</s>' ? 2 : undefined;
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, ...(eos === undefined ? {} : { eos_token_id: eos }), pad_token_id: 0 }, null, 2));
  return tensors.map(([n]) => n);
}
