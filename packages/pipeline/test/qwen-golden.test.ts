/**
 * Qwen2.5-VL and Qwen2-VL on tfjs against the independent PyTorch reference (tooling/reference): merged vision
 * tokens, M-RoPE ids of the kept rows, final hidden states and logits, unpruned and pruned, one and two images,
 * tied and untied, for the tiny checkpoints of test/golden/qwen/cases.json (regenerated here from their seeds; a
 * SHA-256 of the bytes guards against drift).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@resprune/test-backends';
import { readNpy } from '@resprune/npy';
import { removeDir } from './fixtures.js';
import { checkpointOptions, checkpointSha256, GOLDEN, GOLDEN_DIR, qwenPromptIds, writeTinyQwen } from './qwen-fixtures.js';
import { loadQwen, logitsOf, prefill, prepareInputs, type LoadedQwen } from './qwen-model.js';

const META = JSON.parse(readFileSync(join(GOLDEN_DIR, 'meta.json'), 'utf8')) as { checkpoints: Record<string, string> };

function golden(name: string, what: string): { data: ArrayLike<number>; shape: number[] } {
  const a = readNpy(readFileSync(join(GOLDEN_DIR, `${name}.${what}.npy`)));
  const data = a.data as ArrayLike<number | bigint>;
  return { data: Array.from({ length: data.length }, (_, i) => Number(data[i])), shape: a.shape };
}

/**
 * Float32 agreement with the reference: |a − b| ≤ 2e-5 · (1 + rms(b)) everywhere (relative to the tensor's scale:
 * a dot product's rounding grows with its terms, not with its result) and never above 2e-4.
 */
function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let ss = 0;
  for (let i = 0; i < expected.length; i++) ss += expected[i]! * expected[i]!;
  const tol = Math.min(2e-4, 2e-5 * (1 + Math.sqrt(ss / expected.length)));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol)) throw new Error(`${what}: index ${i}: got ${actual[i]}, reference ${expected[i]} (|diff| ${d} > ${tol})`);
  }
}

const dirs = new Map<string, string>();
const models = new Map<string, LoadedQwen>();

beforeAll(async () => {
  for (const [name, preset] of Object.entries(GOLDEN.checkpoints)) {
    const dir = writeTinyQwen(checkpointOptions(preset));
    dirs.set(name, dir);
    models.set(name, await loadQwen(dir));
  }
});
afterAll(() => {
  models.forEach((m) => m.dispose());
  dirs.forEach((d) => removeDir(d));
});

describe('Qwen-VL golden checkpoints', () => {
  it('regenerate byte for byte from their seeds (the SHA-256 the reference recorded)', () => {
    for (const [name, dir] of dirs) expect(checkpointSha256(dir), name).toBe(META.checkpoints[name]);
  });

  it('cover both members, tied and untied, both tensor layouts', () => {
    const q25 = models.get('q25')!.cfg;
    const tied = models.get('q25tied')!.cfg;
    const q2 = models.get('q2')!.cfg;
    expect([q25.modelType, q25.text.tieWordEmbeddings, q25.vision.norm]).toEqual(['qwen2_5_vl', false, 'rms']);
    expect([tied.modelType, tied.text.tieWordEmbeddings]).toEqual(['qwen2_5_vl', true]);
    expect([q2.modelType, q2.text.tieWordEmbeddings, q2.vision.norm, q2.vision.hiddenAct]).toEqual(['qwen2_vl', true, 'layer', 'quick_gelu']);
    expect(q25.text.mropeSection).toEqual([2, 3, 3]);
  });

  it("the cases' input_ids are the chat template rendered and tokenised with the real Qwen tokenizer", () => {
    for (const c of GOLDEN.cases) expect(c.inputIds, c.name).toEqual(qwenPromptIds(c.grids, c.text));
  });
});

describe.each(GOLDEN.cases.map((c) => [c.name, c] as const))('case %s', (_, c) => {
  it('vision tokens, M-RoPE ids, hidden states and logits equal the PyTorch reference', async () => {
    const m = models.get(c.checkpoint)!;
    await expectNoLeak(() => {
      const p = prepareInputs(m, c.inputIds, c.grids, c.kept);
      try {
        const gv = golden(c.name, 'vision');
        expect(p.vision.shape).toEqual(gv.shape);
        expectNear(p.vision.dataSync(), gv.data, 'vision');
        const gp = golden(c.name, 'positions');
        expect(gp.shape).toEqual([3, p.compacted.keep.length]);
        expect(Array.from(p.positions)).toEqual(Array.from(gp.data));
        if (c.kept !== null) expect(p.compacted.visual).toEqual(c.kept);
        const { hidden, cache } = prefill(m, p.embeds, p.positions);
        const gh = golden(c.name, 'hidden');
        expectNear(hidden.dataSync(), gh.data, 'hidden');
        const cols = tf.tensor1d(Int32Array.from(GOLDEN.columns), 'int32');
        const logits = tf.tidy(() => tf.gather(logitsOf(m, tf.squeeze(hidden, [0]) as tf.Tensor2D), cols, 1));
        expectNear(logits.dataSync(), golden(c.name, 'logits').data, 'logits');
        tf.dispose([hidden, cols, logits]);
        cache.layers.forEach((l) => tf.dispose([l.k, l.v]));
      } finally {
        tf.dispose([p.vision, p.embeds]);
      }
    });
  });
});
