/**
 * A tiny, randomly initialised SmolVLM / Idefics3 folder that transformers.js 4.3 loads offline as
 * `SmolVLMForConditionalGeneration` (or `Idefics3ForConditionalGeneration`): config.json,
 * preprocessor_config.json and processor_config.json with the names its `Idefics3ImageProcessor` and
 * `Idefics3Processor` read (`size.longest_edge`, `max_image_size.longest_edge`,
 * `do_image_splitting`, `image_seq_len`), a byte-level BPE tokenizer with the processor's marker
 * tokens (`<fake_token_around_image>`, `<global-img>`, `<row_r_col_c>`, `<image>`), and the three
 * ONNX sessions:
 *
 * - `vision_encoder.onnx`: `pixel_values` `[batch, tiles, 3, S, S]` and `pixel_attention_mask`
 *   `[batch, tiles, S, S]` → `image_features` `[tiles, g², hidden]`, one token per (S/g)-px square
 *   of a tile, row-major (the grid the pixel shuffle gives), `g = S / patch / scale_factor`;
 * - `embed_tokens.onnx` and `decoder_model_merged.onnx` from the shared writer, the decoder with 1-D
 *   RoPE (Llama, as the LLaVA fixture) and a KV cache, echoing what it received.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, GraphBuilder, randomFloats } from './onnx.js';
import { decoderGraph, embedGraph, tokenizerJson, type NamedWeight } from './tiny-vlm.js';

/** The transformers.js model types of the Idefics3 family. */
export type Idefics3ModelType = 'smolvlm' | 'idefics3';

/** Options of {@link writeTinyIdefics3}. */
export interface TinyIdefics3Options {
  /** `model_type` (default `smolvlm`). */
  readonly modelType?: Idefics3ModelType;
  /** Hidden size (default 32). */
  readonly hidden?: number;
  /** Attention heads (default 4). */
  readonly heads?: number;
  /** Decoder layers (default 2). */
  readonly layers?: number;
  /** Tile side S in pixels: `vision_config.image_size` and `max_image_size.longest_edge` (default 64). */
  readonly tileSize?: number;
  /** `vision_config.patch_size` (default 8). */
  readonly patchSize?: number;
  /** `scale_factor` (default 2: 64 / 8 / 2 = a 4×4 grid, 16 tokens a tile). */
  readonly scaleFactor?: number;
  /** `size.longest_edge` (default 128: at most 2×2 crops + global). */
  readonly longestEdge?: number;
  /** `do_image_splitting` (default true). */
  readonly doImageSplitting?: boolean;
  /** Weight seed. */
  readonly seed?: number;
}

/** What a written SmolVLM / Idefics3 fixture holds. */
export interface TinyIdefics3 {
  readonly dir: string;
  readonly family: Idefics3ModelType;
  readonly hidden: number;
  readonly vocabSize: number;
  readonly special: Readonly<Record<string, number>>;
  /** Tokens of one tile (`image_seq_len`). */
  readonly tokensPerTile: number;
  /** The language model's weights under their Hugging Face names. */
  readonly weights: Readonly<Record<string, NamedWeight>>;
}

/** The processor's marker tokens (rows and columns up to 6, as SmolVLM's tokenizer has them). */
const MARKERS = [
  '<fake_token_around_image>',
  '<global-img>',
  ...Array.from({ length: 36 }, (_, i) => `<row_${Math.floor(i / 6) + 1}_col_${(i % 6) + 1}>`),
  '<end_of_utterance>',
];

function visionGraph(S: number, g: number, hidden: number, seed: number): Uint8Array {
  const gb = new GraphBuilder();
  const P = S / g;
  const d = 3 * P * P;
  const tiles = gb.op('Reshape', ['pixel_values', gb.int64([6], [-1, 3, g, P, g, P])]);
  const blocks = gb.op('Transpose', [tiles], { perm: { ints: [0, 2, 4, 1, 3, 5] } });
  const flat = gb.op('Reshape', [blocks, gb.int64([3], [-1, g * g, d])]);
  const w = gb.float([d, hidden], randomFloats(d * hidden, seed, 1 / Math.sqrt(d)));
  // The mask enters the graph (as the real tower uses it) without changing the features: + 0 · Σ mask.
  const maskSum = gb.op('ReduceSum', [gb.op('Cast', ['pixel_attention_mask'], { to: { int: 1 } })], { keepdims: { int: 0 } });
  const zeroed = gb.op('Mul', [maskSum, gb.float([], [0])]);
  gb.named('Add', [gb.op('Tanh', [gb.op('MatMul', [flat, w])]), zeroed], 'image_features');
  return encodeModel({
    name: 'vision_encoder',
    inputs: [
      { name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 'num_images', 3, S, S] },
      { name: 'pixel_attention_mask', dtype: 'bool', shape: ['batch_size', 'num_images', S, S] },
    ],
    outputs: [{ name: 'image_features', dtype: 'float32', shape: ['num_tiles', g * g, hidden] }],
    initializers: gb.initializers,
    nodes: gb.nodes,
  });
}

/**
 * Writes the model folder `dir` (created if needed).
 * @param dir - the folder
 * @param options - sizes and seed
 * @returns what was written
 */
export function writeTinyIdefics3(dir: string, options: TinyIdefics3Options = {}): TinyIdefics3 {
  const modelType = options.modelType ?? 'smolvlm';
  const H = options.hidden ?? 32;
  const NH = options.heads ?? 4;
  const NL = options.layers ?? 2;
  const seed = options.seed ?? 1;
  const S = options.tileSize ?? 64;
  const patch = options.patchSize ?? 8;
  const scale = options.scaleFactor ?? 2;
  const longestEdge = options.longestEdge ?? 128;
  if (S % (patch * scale) !== 0) throw new Error(`writeTinyIdefics3: tileSize ${S} is not a multiple of patchSize · scaleFactor`);
  const g = S / patch / scale;

  const base = tokenizerJson();
  const tok = base.json as { added_tokens: Array<Record<string, unknown>> };
  const special: Record<string, number> = { ...base.special };
  let vocabSize = base.vocabSize;
  for (const content of MARKERS) {
    special[content] = vocabSize;
    tok.added_tokens.push({ id: vocabSize++, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }

  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const write = (name: string, data: unknown): void =>
    writeFileSync(join(dir, name), data instanceof Uint8Array ? data : JSON.stringify(data, null, 1));
  const eos = special['<end_of_utterance>']!;
  const smol = modelType === 'smolvlm';
  const processorClass = smol ? 'SmolVLMProcessor' : 'Idefics3Processor';
  write('config.json', {
    model_type: modelType,
    architectures: [smol ? 'SmolVLMForConditionalGeneration' : 'Idefics3ForConditionalGeneration'],
    image_token_id: special['<image>'],
    scale_factor: scale,
    text_config: {
      model_type: 'llama',
      hidden_size: H,
      num_attention_heads: NH,
      num_key_value_heads: NH,
      num_hidden_layers: NL,
      head_dim: H / NH,
      vocab_size: vocabSize,
      intermediate_size: 2 * H,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      eos_token_id: eos,
    },
    vision_config: {
      model_type: smol ? 'smolvlm_vision' : 'idefics3_vision',
      image_size: S,
      patch_size: patch,
      hidden_size: 16,
      max_image_size: { longest_edge: S },
      size: { longest_edge: longestEdge },
    },
    vocab_size: vocabSize,
    eos_token_id: eos,
    'transformers.js_config': { dtype: 'fp32', device: 'cpu' },
  });
  write('preprocessor_config.json', {
    image_processor_type: smol ? 'SmolVLMImageProcessor' : 'Idefics3ImageProcessor',
    processor_class: processorClass,
    do_convert_rgb: true,
    do_resize: true,
    size: { longest_edge: longestEdge },
    do_image_splitting: options.doImageSplitting ?? true,
    max_image_size: { longest_edge: S },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    do_pad: true,
    resample: 1,
  });
  write('processor_config.json', { image_seq_len: g * g, processor_class: processorClass });
  write('generation_config.json', { eos_token_id: eos, do_sample: false });
  write('tokenizer.json', tok);
  write('tokenizer_config.json', {
    tokenizer_class: 'Qwen2Tokenizer',
    model_max_length: 8192,
    eos_token: '<end_of_utterance>',
    pad_token: '<|endoftext|>',
    bos_token: null,
    unk_token: null,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
  });
  write('onnx/vision_encoder.onnx', visionGraph(S, g, H, seed + 1000));
  const weights: Record<string, NamedWeight> = {};
  write('onnx/embed_tokens.onnx', embedGraph(vocabSize, H, seed + 2000, weights));
  write('onnx/decoder_model_merged.onnx', decoderGraph({ hidden: H, heads: NH, layers: NL, vocab: vocabSize, mrope: undefined, seed: seed + 3000, weights }));
  return { dir, family: modelType, hidden: H, vocabSize, special, tokensPerTile: g * g, weights };
}
