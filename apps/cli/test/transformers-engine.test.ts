import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '@resprune/npy';
import { sharedPath } from '@resprune/test-backends';
import { writeTinyVlm } from '@resprune/tiny-vlm';
import { runCli, tempDir } from './cli-helpers.js';

let dir: string;
const DOG = sharedPath('images', 'dog.jpg');

beforeAll(() => {
  dir = tempDir('resprune-tjs-cli-');
  // Tiny ONNX models in the layout transformers.js loads offline (written by @resprune/transformers' test fixture).
  writeTinyVlm(join(dir, 'qwen2_vl'), { family: 'qwen2_vl' });
  // The fixture carries no chat template; a published Qwen2-VL folder does (a Qwen2-VL-style one, written for this test).
  const tc = join(dir, 'qwen2_vl', 'tokenizer_config.json');
  const config = JSON.parse(readFileSync(tc, 'utf8')) as Record<string, unknown>;
  config['chat_template'] =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}" +
    "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  writeFileSync(tc, JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resprune generate --engine transformers', () => {
  it('runs the request through transformers.js with pruning and keeps the JSON contract; --dump-embeds writes what its decoder received', () => {
    const out = join(dir, 'embeds');
    const r = runCli(['generate', '--engine', 'transformers', '--model', join(dir, 'qwen2_vl'), '--image', DOG, '--prompt', 'What is the dog doing?', '--ratio', '0.25', '--max-new-tokens', '3', '--json', '--dump-embeds', out]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { engine: string; inputIds: number[]; imageSpans: { start: number; length: number }[]; kept: number[]; generatedIds: number[]; report: { visualTokensBefore: number; visualTokensAfter: number; sequenceLengthAfter: number }; timings: { prefillMs: number } };
    expect(res.engine).toBe('transformers');
    expect(res.imageSpans).toHaveLength(1);
    const n = res.imageSpans[0]!.length;
    expect(res.report.visualTokensBefore).toBe(n);
    expect(res.kept.length).toBe(Math.max(1, Math.ceil(n * 0.25 - 1e-9)));
    expect(res.kept.every((k) => k >= 0 && k < n)).toBe(true);
    expect(res.generatedIds.length).toBeGreaterThan(0);
    expect(res.timings.prefillMs).toBeGreaterThan(0);
    const embeds = readNpy(readFileSync(join(out, 'inputs_embeds.npy')));
    const positions = readNpy(readFileSync(join(out, 'position_ids.npy')));
    expect(embeds.shape[0]).toBe(res.report.sequenceLengthAfter);
    expect(positions.shape).toEqual([3, res.report.sequenceLengthAfter]);
  });

  it('refuses what the transformers engine cannot do, before loading anything', () => {
    const model = join(dir, 'qwen2_vl');
    const a = runCli(['generate', '--engine', 'transformers', '--model', model, '--image', DOG, '--prompt', 'x', '--temperature', '0.7']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/decodes greedily/);
    const b = runCli(['generate', '--engine', 'onnx', '--model', model, '--image', DOG, '--prompt', 'x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/E_INVALID_OPTION/);
  });
});
