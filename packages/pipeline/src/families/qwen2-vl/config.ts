import { ResPruneError } from '@resprune/errors';
import { parseText, type Activation, type LlamaTextConfig } from '../../config.js';

/** The Qwen-VL members this family folder implements, by Hugging Face `model_type`. */
export type Qwen2VlModelType = 'qwen2_5_vl' | 'qwen2_vl';

/**
 * Vision tower of Qwen2-VL / Qwen2.5-VL (HF `vision_config`), with the two members' field names unified.
 *
 * | field | Qwen2.5-VL | Qwen2-VL |
 * | --- | --- | --- |
 * | `hiddenSize` | `hidden_size` (1280) | `embed_dim` (1280) |
 * | `intermediateSize` | `intermediate_size` (3420) | `embed_dim · mlp_ratio` (5120) |
 * | `outHiddenSize` | `out_hidden_size` | `hidden_size` |
 * | blocks | RMSNorm, SwiGLU MLP with biases | LayerNorm, `fc1 → act → fc2` |
 * | attention | windows of `window_size` px, full in `fullatt_block_indexes` | full (per image) |
 */
export interface Qwen2VlVisionConfig {
  /** Blocks (`depth`, 32 in every published model). */
  readonly depth: number;
  /** ViT width. */
  readonly hiddenSize: number;
  /** MLP width. */
  readonly intermediateSize: number;
  /** Attention heads. */
  readonly numHeads: number;
  /** Input channels (3). */
  readonly inChannels: number;
  /** Patch side in pixels (14). */
  readonly patchSize: number;
  /** Frames per temporal patch (2; an image is repeated to fill it). */
  readonly temporalPatchSize: number;
  /** Side of the square of patches merged into one LLM token (2). */
  readonly spatialMergeSize: number;
  /** Width of the merged tokens = the LLM's hidden size. */
  readonly outHiddenSize: number;
  /** MLP activation (`silu` for Qwen2.5-VL, `quick_gelu` for Qwen2-VL). */
  readonly hiddenAct: Activation;
  /** Block norm: RMSNorm (Qwen2.5-VL) or LayerNorm with bias (Qwen2-VL); eps 1e-6 in both. */
  readonly norm: 'rms' | 'layer';
  /** Window side in pixels (112), or null when every block attends to the whole image (Qwen2-VL). */
  readonly windowSize: number | null;
  /** Blocks with full attention when windows are on (`[7, 15, 23, 31]`). */
  readonly fullAttBlockIndexes: readonly number[];
}

/** A Qwen2-VL (`qwen2_vl`) or Qwen2.5-VL (`qwen2_5_vl`) checkpoint's config.json, parsed with HF defaults. */
export interface Qwen2VlModelConfig {
  /** HF `model_type`. */
  readonly modelType: Qwen2VlModelType;
  /** Vision tower and merger. */
  readonly vision: Qwen2VlVisionConfig;
  /** Language model (Qwen2 with M-RoPE; `mropeSection` is always set). */
  readonly text: LlamaTextConfig & { readonly mropeSection: readonly [number, number, number] };
  /** `<|image_pad|>` (151655). */
  readonly imageTokenId: number;
  /** `<|video_pad|>` (151656). */
  readonly videoTokenId: number;
  /** `<|vision_start|>` (151652). */
  readonly visionStartTokenId: number;
  /** `<|vision_end|>` (151653). */
  readonly visionEndTokenId: number;
  /** End-of-sequence ids from config.json (generation_config.json may add more). */
  readonly eosTokenIds: readonly number[];
}

type Json = Record<string, unknown>;

function bad(field: string, message: string): ResPruneError {
  return new ResPruneError('E_CHECKPOINT', `config.json: ${field}: ${message}`, { details: { field } });
}

function int(obj: Json, key: string, def: number | undefined, where: string, min = 1): number {
  const v = obj[key] ?? def;
  if (v === undefined) throw bad(`${where}${key}`, 'missing, and it has no default.');
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw bad(`${where}${key}`, `expected an integer >= ${min}, got ${JSON.stringify(v)}.`);
  return v;
}

function obj(v: unknown, field: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(field, `expected an object, got ${JSON.stringify(v)}.`);
  return v as Json;
}

function ids(v: unknown): number[] {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isSafeInteger(x));
  return [];
}

const VISION_ACTS: readonly Activation[] = ['gelu', 'quick_gelu', 'silu', 'gelu_pytorch_tanh'];

function parseVision(modelType: Qwen2VlModelType, raw: Json, textHidden: number): Qwen2VlVisionConfig {
  const w = 'vision_config.';
  const v25 = modelType === 'qwen2_5_vl';
  const hiddenSize = v25 ? int(raw, 'hidden_size', 3584, w) : int(raw, 'embed_dim', 1280, w);
  const numHeads = int(raw, 'num_heads', 16, w);
  if (hiddenSize % numHeads !== 0 || (hiddenSize / numHeads) % 4 !== 0) {
    throw bad(`${w}num_heads`, `width ${hiddenSize} over ${numHeads} heads must give a head width divisible by 4 (2-D rotary halves).`);
  }
  let intermediateSize: number;
  if (v25) intermediateSize = int(raw, 'intermediate_size', 3420, w);
  else {
    const ratio = raw['mlp_ratio'] ?? 4;
    if (typeof ratio !== 'number' || !(ratio > 0) || !Number.isSafeInteger(Math.trunc(hiddenSize * ratio))) {
      throw bad(`${w}mlp_ratio`, `expected a positive number, got ${JSON.stringify(ratio)}.`);
    }
    intermediateSize = Math.trunc(hiddenSize * ratio);
  }
  const outKey = v25 ? 'out_hidden_size' : 'hidden_size';
  const outHiddenSize = int(raw, outKey, 3584, w);
  if (outHiddenSize !== textHidden) {
    throw bad(`${w}${outKey}`, `the merger's output width ${outHiddenSize} must equal the language model's hidden_size ${textHidden}.`);
  }
  const act = raw['hidden_act'] ?? (v25 ? 'silu' : 'quick_gelu');
  if (typeof act !== 'string' || !(VISION_ACTS as readonly string[]).includes(act)) {
    throw bad(`${w}hidden_act`, `unsupported activation ${JSON.stringify(act)}; supported: ${VISION_ACTS.join(', ')}.`);
  }
  const patchSize = int(raw, 'patch_size', 14, w);
  const spatialMergeSize = int(raw, 'spatial_merge_size', 2, w);
  const depth = int(raw, 'depth', 32, w);
  let windowSize: number | null = null;
  let fullAttBlockIndexes: number[] = [];
  if (v25) {
    windowSize = int(raw, 'window_size', 112, w);
    if (windowSize % (patchSize * spatialMergeSize) !== 0) {
      throw bad(`${w}window_size`, `${windowSize} px is not a multiple of patch_size × spatial_merge_size = ${patchSize * spatialMergeSize}.`);
    }
    const fb = raw['fullatt_block_indexes'] ?? [7, 15, 23, 31];
    if (!Array.isArray(fb) || !fb.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x < depth)) {
      throw bad(`${w}fullatt_block_indexes`, `expected block indices in [0, ${depth}), got ${JSON.stringify(fb)}.`);
    }
    fullAttBlockIndexes = fb as number[];
  }
  const inRaw = raw['in_channels'] !== undefined ? 'in_channels' : 'in_chans';
  return {
    depth,
    hiddenSize,
    intermediateSize,
    numHeads,
    inChannels: int(raw, inRaw, 3, w),
    patchSize,
    temporalPatchSize: int(raw, 'temporal_patch_size', 2, w),
    spatialMergeSize,
    outHiddenSize,
    hiddenAct: act as Activation,
    norm: v25 ? 'rms' : 'layer',
    windowSize,
    fullAttBlockIndexes,
  };
}

/** Fields of the language model that config.json keeps at the root in the published Qwen-VL repositories. */
const TEXT_KEYS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'hidden_act',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'tie_word_embeddings',
  'use_sliding_window',
  'sliding_window',
  'max_window_layers',
  'eos_token_id',
];

/**
 * Parses the config.json of a Qwen2.5-VL (`qwen2_5_vl`) or Qwen2-VL (`qwen2_vl`) checkpoint, filling in the Hugging
 * Face defaults. Both layouts load: the published one (language-model fields at the root, as in
 * `Qwen/Qwen2.5-VL-7B-Instruct`) and the one recent transformers write (a nested `text_config`, whose fields win;
 * `rope_parameters` in place of `rope_scaling`). The language model must use M-RoPE (`mrope_section`); sliding-window
 * attention must be off (`use_sliding_window: false`, as published).
 *
 * @param raw - the parsed config.json
 * @returns the typed config
 * @throws {@link @resprune/errors!ResPruneError} `E_CHECKPOINT` naming the missing or inconsistent field in the message and
 *   `details.field` (e.g. `rope_scaling.mrope_section`, `vision_config.out_hidden_size`), or an unsupported `model_type`
 * @example
 * ```ts
 * const cfg = parseQwen2VlConfig(JSON.parse(readFileSync('Qwen2.5-VL-3B-Instruct/config.json', 'utf8')));
 * cfg.text.mropeSection; // [16, 24, 24]
 * cfg.vision.fullAttBlockIndexes; // [7, 15, 23, 31]
 * ```
 */
export function parseQwen2VlConfig(raw: unknown): Qwen2VlModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('(root)', 'expected a JSON object.');
  const r = raw as Json;
  const modelType = r['model_type'];
  if (modelType !== 'qwen2_5_vl' && modelType !== 'qwen2_vl') {
    throw bad('model_type', `${JSON.stringify(modelType)} is not a Qwen-VL model this family loads; supported: qwen2_5_vl, qwen2_vl.`);
  }
  const nested = r['text_config'] !== undefined && r['text_config'] !== null;
  const textRaw: Json = {};
  for (const k of TEXT_KEYS) if (r[k] !== undefined) textRaw[k] = r[k];
  Object.assign(textRaw, obj(r['text_config'], 'text_config'));
  textRaw['model_type'] = 'qwen2';
  const where = nested ? 'text_config.' : '';
  const text = parseText(textRaw, { where, families: ['qwen2'], code: 'E_CHECKPOINT' });
  if (text.mropeSection === null) {
    const present = (k: string): boolean => textRaw[k] !== undefined && textRaw[k] !== null;
    const rsKey = !present('rope_scaling') && present('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
    throw bad(`${where}${rsKey}.mrope_section`, 'missing: Qwen-VL language models use M-RoPE and need the [t, h, w] split of the rotary frequencies, e.g. [16, 24, 24].');
  }
  const vision = parseVision(modelType, obj(r['vision_config'], 'vision_config'), text.hiddenSize);
  const tok = (key: string, def: number): number => int(r, key, def, '', 0);
  return {
    modelType,
    vision,
    text: text as Qwen2VlModelConfig['text'],
    imageTokenId: tok('image_token_id', 151655),
    videoTokenId: tok('video_token_id', 151656),
    visionStartTokenId: tok('vision_start_token_id', 151652),
    visionEndTokenId: tok('vision_end_token_id', 151653),
    eosTokenIds: [...new Set([...ids(textRaw['eos_token_id']), ...ids(r['eos_token_id'])])],
  };
}
