import { ResPruneError } from '@resprune/errors';

/** Activation functions the model code implements, by their Hugging Face names. */
export type Activation = 'gelu' | 'quick_gelu' | 'silu' | 'gelu_pytorch_tanh';

/** CLIP vision tower hyper-parameters (HF `vision_config`, `model_type: clip_vision_model`). */
export interface ClipVisionConfig {
  /** Width of the tower, e.g. 1024 for ViT-L/14. */
  readonly hiddenSize: number;
  /** MLP width, e.g. 4096. */
  readonly intermediateSize: number;
  /** Encoder layers in the checkpoint, e.g. 24. */
  readonly numLayers: number;
  /** Attention heads, e.g. 16. */
  readonly numHeads: number;
  /** Input side in pixels, e.g. 336. */
  readonly imageSize: number;
  /** Patch side in pixels, e.g. 14. */
  readonly patchSize: number;
  /** Input channels (3). */
  readonly numChannels: number;
  /** LayerNorm epsilon. */
  readonly layerNormEps: number;
  /** MLP activation (`quick_gelu` for OpenAI CLIP). */
  readonly hiddenAct: Activation;
}

/**
 * Decoder hyper-parameters of the LLaMA family: LLaMA and Mistral (LLaVA's `text_config`) and Qwen2 (the language
 * model of Qwen2-VL and Qwen2.5-VL). The blocks are the same (RMSNorm, RoPE attention with grouped-query heads,
 * SwiGLU MLP); Qwen2 adds biases to the q/k/v projections and, in the VL models, multimodal RoPE.
 */
export interface LlamaTextConfig {
  /** `llama` or `mistral` (same blocks; mistral may set a sliding window), or `qwen2` (q/k/v biases, M-RoPE in the VL models). */
  readonly modelType: 'llama' | 'mistral' | 'qwen2';
  /** Model width d. */
  readonly hiddenSize: number;
  /** SwiGLU width. */
  readonly intermediateSize: number;
  /** Decoder layers. */
  readonly numLayers: number;
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads (grouped-query attention when fewer than `numHeads`). */
  readonly numKvHeads: number;
  /** Per-head width. */
  readonly headDim: number;
  /** Rows of the embedding table and of `lm_head`. */
  readonly vocabSize: number;
  /** RMSNorm epsilon. */
  readonly rmsNormEps: number;
  /** RoPE base. */
  readonly ropeTheta: number;
  /** Linear RoPE scaling factor (1 when `rope_scaling` is null). */
  readonly ropeLinearFactor: number;
  /** Mistral's sliding attention window, or null for full causal attention (Qwen2 with `use_sliding_window: false`). */
  readonly slidingWindow: number | null;
  /** Whether `lm_head` shares the embedding table. */
  readonly tieWordEmbeddings: boolean;
  /** MLP activation (`silu`). */
  readonly hiddenAct: Activation;
  /** Whether the q/k/v projections have biases (Qwen2: true; LLaMA, Mistral: false). */
  readonly attentionBias: boolean;
  /**
   * Multimodal RoPE (Qwen2-VL, Qwen2.5-VL: `rope_scaling.mrope_section`, e.g. `[16, 24, 24]`): how many of the
   * `headDim / 2` rotary frequencies take the temporal, height and width position id; they sum to `headDim / 2`.
   * Null for plain 1-D RoPE.
   */
  readonly mropeSection: readonly [number, number, number] | null;
}

/** A LLaVA-1.5 (`llava`) or LLaVA-NeXT (`llava_next`) checkpoint's config.json, parsed with HF defaults. */
export interface LlavaModelConfig {
  /** HF `model_type`. */
  readonly modelType: 'llava' | 'llava_next';
  /** Vision tower. */
  readonly vision: ClipVisionConfig;
  /** Language model. */
  readonly text: LlamaTextConfig;
  /** Projector activation (`gelu` in every published LLaVA). */
  readonly projectorAct: Activation;
  /** Whether the projector linears have biases (`multimodal_projector_bias`, default true). */
  readonly projectorBias: boolean;
  /** Hidden-state index (negative counts from the end) or list of indices, concatenated. */
  readonly visionFeatureLayer: number | readonly number[];
  /** `default` drops the CLS token, `full` keeps it. */
  readonly visionFeatureSelectStrategy: 'default' | 'full';
  /** Id of the image placeholder token (32000 in llava-hf). */
  readonly imageTokenIndex: number;
  /** LLaVA-NeXT anyres candidate resolutions as `[height, width]`; empty for LLaVA-1.5. */
  readonly imageGridPinpoints: readonly (readonly [number, number])[];
  /** End-of-sequence ids from config.json (may be empty; generation_config.json and the tokenizer add more). */
  readonly eosTokenIds: readonly number[];
}

type Json = Record<string, unknown>;

function bad(field: string, message: string): ResPruneError {
  return new ResPruneError('E_BACKBONE_CONFIG', `config.json: ${field}: ${message}`, { details: { field } });
}

function int(obj: Json, key: string, def: number | undefined, where: string, min = 1): number {
  const v = obj[key] ?? def;
  if (v === undefined) throw bad(`${where}${key}`, 'missing, and it has no default.');
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw bad(`${where}${key}`, `expected an integer >= ${min}, got ${JSON.stringify(v)}.`);
  return v;
}

function num(obj: Json, key: string, def: number, where: string): number {
  const v = obj[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${where}${key}`, `expected a positive number, got ${JSON.stringify(v)}.`);
  return v;
}

const ACTS: readonly Activation[] = ['gelu', 'quick_gelu', 'silu', 'gelu_pytorch_tanh'];

function act(obj: Json, key: string, def: Activation, where: string): Activation {
  const v = obj[key] ?? def;
  if (typeof v !== 'string' || !(ACTS as readonly string[]).includes(v)) {
    throw bad(`${where}${key}`, `unsupported activation ${JSON.stringify(v)}; supported: ${ACTS.join(', ')}.`);
  }
  return v as Activation;
}

function ids(v: unknown): number[] {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isSafeInteger(x));
  return [];
}

/** Parses a `vision_config` with CLIPVisionConfig's defaults. */
function parseVision(raw: Json): ClipVisionConfig {
  const w = 'vision_config.';
  const mt = raw['model_type'];
  if (mt !== undefined && mt !== 'clip_vision_model') {
    throw bad(`${w}model_type`, `unsupported vision tower ${JSON.stringify(mt)}; supported: clip_vision_model.`);
  }
  const hiddenSize = int(raw, 'hidden_size', 768, w);
  const numHeads = int(raw, 'num_attention_heads', 12, w);
  if (hiddenSize % numHeads !== 0) throw bad(`${w}num_attention_heads`, `hidden_size ${hiddenSize} is not divisible by ${numHeads} heads.`);
  const imageSize = int(raw, 'image_size', 224, w);
  const patchSize = int(raw, 'patch_size', 32, w);
  if (imageSize % patchSize !== 0) throw bad(`${w}patch_size`, `image_size ${imageSize} is not divisible by patch_size ${patchSize}.`);
  return {
    hiddenSize,
    intermediateSize: int(raw, 'intermediate_size', 3072, w),
    numLayers: int(raw, 'num_hidden_layers', 12, w),
    numHeads,
    imageSize,
    patchSize,
    numChannels: int(raw, 'num_channels', 3, w),
    layerNormEps: num(raw, 'layer_norm_eps', 1e-5, w),
    hiddenAct: act(raw, 'hidden_act', 'quick_gelu', w),
  };
}

/** Where a decoder config sits in config.json, and which error code its problems get. @internal */
export interface TextConfigContext {
  /** Field-name prefix in messages and `details.field`, e.g. `text_config.` or `` (fields at the root). */
  readonly where: string;
  /** Decoder families this model accepts. */
  readonly families: readonly LlamaTextConfig['modelType'][];
  /** Error code for a bad field (default `E_BACKBONE_CONFIG`). */
  readonly code?: 'E_BACKBONE_CONFIG' | 'E_CHECKPOINT';
}

const LLAVA_TEXT: TextConfigContext = { where: 'text_config.', families: ['llama', 'mistral'] };

function positiveInts(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
}

/**
 * Parses a decoder config with the defaults of LlamaConfig, MistralConfig or Qwen2VLTextConfig (by `model_type`).
 * For `qwen2`, `rope_scaling` (or transformers' newer `rope_parameters`) of type `mrope`/`default` with an
 * `mrope_section` turns on M-RoPE, and `use_sliding_window: true` is refused (HF applies it only with flash attention).
 *
 * @throws {@link @resprune/errors!ResPruneError} `ctx.code` naming the field (`details.field`)
 * @internal
 */
export function parseText(raw: Json, ctx: TextConfigContext = LLAVA_TEXT): LlamaTextConfig {
  const w = ctx.where;
  const code = ctx.code ?? 'E_BACKBONE_CONFIG';
  const fail = (field: string, message: string): ResPruneError =>
    new ResPruneError(code, `config.json: ${field}: ${message}`, { details: { field } });
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ResPruneError && e.code !== code) throw new ResPruneError(code, e.message, { cause: e, ...(e.details === undefined ? {} : { details: e.details }) });
      throw e;
    }
  };
  return guard(() => {
    const mt = raw['model_type'] ?? ctx.families[0];
    if (typeof mt !== 'string' || !(ctx.families as readonly string[]).includes(mt)) {
      throw fail(`${w}model_type`, `unsupported language model ${JSON.stringify(mt)}; supported: ${ctx.families.join(', ')}.`);
    }
    const modelType = mt as LlamaTextConfig['modelType'];
    const mistral = modelType === 'mistral';
    const qwen = modelType === 'qwen2';
    const hiddenSize = int(raw, 'hidden_size', qwen ? 8192 : 4096, w);
    const numHeads = int(raw, 'num_attention_heads', qwen ? 64 : 32, w);
    const numKvHeads = int(raw, 'num_key_value_heads', mistral || qwen ? 8 : numHeads, w);
    if (numHeads % numKvHeads !== 0) throw fail(`${w}num_key_value_heads`, `${numHeads} query heads are not a multiple of ${numKvHeads} key/value heads.`);
    const headDimRaw = raw['head_dim'];
    const headDim = headDimRaw === undefined || headDimRaw === null ? hiddenSize / numHeads : int(raw, 'head_dim', undefined, w);
    if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw fail(`${w}head_dim`, `head width ${headDim} must be an even integer.`);
    let ropeLinearFactor = 1;
    let mropeSection: [number, number, number] | null = null;
    const rsKey = raw['rope_scaling'] !== undefined && raw['rope_scaling'] !== null ? 'rope_scaling' : 'rope_parameters';
    const rs = raw[rsKey];
    let ropeTheta = raw['rope_theta'];
    if (rs !== undefined && rs !== null) {
      if (typeof rs !== 'object' || Array.isArray(rs)) throw fail(`${w}${rsKey}`, `expected an object or null, got ${JSON.stringify(rs)}.`);
      const r = rs as Json;
      const type = r['rope_type'] ?? r['type'] ?? 'default';
      if (ropeTheta === undefined && r['rope_theta'] !== undefined) ropeTheta = r['rope_theta'];
      if (qwen && (type === 'mrope' || type === 'default')) {
        // Without `mrope_section` this is plain RoPE; the VL parsers require the section.
        const sec = r['mrope_section'];
        if (sec !== undefined && sec !== null) {
          if (!positiveInts(sec, 3) || sec[0]! + sec[1]! + sec[2]! !== headDim / 2) {
            throw fail(`${w}${rsKey}.mrope_section`, `expected 3 integers summing to head_dim / 2 = ${headDim / 2}, got ${JSON.stringify(sec)}.`);
          }
          mropeSection = [sec[0]!, sec[1]!, sec[2]!];
        }
      } else if (type === 'linear') ropeLinearFactor = num(r, 'factor', 1, `${w}${rsKey}.`);
      else if (type !== 'default') throw fail(`${w}${rsKey}`, `unsupported RoPE scaling ${JSON.stringify(type)}; supported: ${qwen ? 'mrope (with mrope_section), ' : ''}linear, default.`);
    }
    let slidingWindow: number | null = null;
    if (mistral) {
      const sw = raw['sliding_window'];
      slidingWindow = typeof sw === 'number' && Number.isSafeInteger(sw) && sw > 0 ? sw : null;
    } else if (qwen && raw['use_sliding_window'] === true) {
      throw fail(`${w}use_sliding_window`, 'sliding-window attention is not supported for Qwen2 (every published Qwen2-VL / Qwen2.5-VL sets it false).');
    }
    return {
      modelType,
      hiddenSize,
      intermediateSize: int(raw, 'intermediate_size', mistral ? 14336 : qwen ? 29568 : 11008, w),
      numLayers: int(raw, 'num_hidden_layers', qwen ? 80 : 32, w),
      numHeads,
      numKvHeads,
      headDim,
      vocabSize: int(raw, 'vocab_size', qwen ? 152064 : 32000, w),
      rmsNormEps: num(raw, 'rms_norm_eps', qwen ? 1e-5 : 1e-6, w),
      ropeTheta: num({ rope_theta: ropeTheta }, 'rope_theta', qwen ? 1000000 : 10000, w),
      ropeLinearFactor,
      slidingWindow,
      tieWordEmbeddings: raw['tie_word_embeddings'] === true,
      hiddenAct: act(raw, 'hidden_act', 'silu', w),
      attentionBias: qwen,
      mropeSection,
    };
  });
}

/**
 * Parses the config.json of a LLaVA-1.5 or LLaVA-NeXT checkpoint as published by llava-hf, filling in the
 * Hugging Face defaults for the fields the published files leave out (the 7B `text_config` lists only a few).
 *
 * @param raw - the parsed config.json
 * @returns the typed config
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` for a `model_type` other than `llava`/`llava_next`,
 *   `E_BACKBONE_CONFIG` for a missing or inconsistent field (named in `details.field`)
 * @example
 * ```ts
 * const cfg = parseLlavaConfig(JSON.parse(readFileSync('config.json', 'utf8')));
 * cfg.text.numLayers; // 32 for llava-1.5-7b-hf
 * ```
 */
export function parseLlavaConfig(raw: unknown): LlavaModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('(root)', 'expected a JSON object.');
  const r = raw as Json;
  const modelType = r['model_type'];
  if (modelType !== 'llava' && modelType !== 'llava_next') {
    throw new ResPruneError('E_BACKBONE_UNKNOWN', `config.json: model_type ${JSON.stringify(modelType)} is not supported by the pipeline; supported: llava, llava_next.`, {
      details: { field: 'model_type' },
    });
  }
  const vision = parseVision((r['vision_config'] ?? {}) as Json);
  const textRaw = { ...((r['text_config'] ?? {}) as Json) };
  if (textRaw['vocab_size'] === undefined && typeof r['vocab_size'] === 'number') textRaw['vocab_size'] = r['vocab_size'];
  if (textRaw['tie_word_embeddings'] === undefined && typeof r['tie_word_embeddings'] === 'boolean') textRaw['tie_word_embeddings'] = r['tie_word_embeddings'];
  const text = parseText(textRaw);
  const vfl = r['vision_feature_layer'] ?? -2;
  const checkLayer = (l: unknown): number => {
    if (typeof l !== 'number' || !Number.isSafeInteger(l) || l < -(vision.numLayers + 1) || l > vision.numLayers) {
      throw bad('vision_feature_layer', `expected an integer in [${-(vision.numLayers + 1)}, ${vision.numLayers}], got ${JSON.stringify(l)}.`);
    }
    return l;
  };
  const visionFeatureLayer = Array.isArray(vfl) ? vfl.map(checkLayer) : checkLayer(vfl);
  const strategy = r['vision_feature_select_strategy'] ?? 'default';
  if (strategy !== 'default' && strategy !== 'full') {
    throw bad('vision_feature_select_strategy', `expected "default" or "full", got ${JSON.stringify(strategy)}.`);
  }
  let pinpoints: [number, number][] = [];
  if (modelType === 'llava_next') {
    const p = r['image_grid_pinpoints'] ?? [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]];
    if (!Array.isArray(p) || p.length === 0 || !p.every((x) => Array.isArray(x) && x.length === 2 && x.every((v) => Number.isSafeInteger(v) && v > 0 && v % vision.imageSize === 0))) {
      throw bad('image_grid_pinpoints', `expected [[height, width], ...] with multiples of ${vision.imageSize}, got ${JSON.stringify(p)}.`);
    }
    pinpoints = p as [number, number][];
  }
  const projectorAct = act(r, 'projector_hidden_act', 'gelu', '');
  return {
    modelType,
    vision,
    text,
    projectorAct,
    projectorBias: r['multimodal_projector_bias'] !== false,
    visionFeatureLayer,
    visionFeatureSelectStrategy: strategy,
    imageTokenIndex: int(r, 'image_token_index', 32000, '', 0),
    imageGridPinpoints: pinpoints,
    eosTokenIds: [...ids(textRaw['eos_token_id']), ...ids(r['eos_token_id'])],
  };
}

/**
 * Turns the config's `vision_feature_layer` into indices of the hidden-state list (0 = embeddings after
 * `pre_layrnorm`, i = after encoder layer i), and tells how many encoder layers must run.
 *
 * @param config - parsed config
 * @returns the hidden-state indices and the number of encoder layers needed
 * @example
 * ```ts
 * featureLayers(cfg); // { indices: [23], layersNeeded: 23 } for ViT-L/14 with -2
 * ```
 */
export function featureLayers(config: LlavaModelConfig): { indices: number[]; layersNeeded: number } {
  const n = config.vision.numLayers;
  const list = Array.isArray(config.visionFeatureLayer) ? config.visionFeatureLayer : [config.visionFeatureLayer as number];
  const indices = list.map((l) => (l < 0 ? n + 1 + l : l));
  return { indices, layersNeeded: Math.max(...indices) };
}
