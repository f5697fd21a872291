import { openSync, readdirSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, sharedPath } from '@resprune/test-backends';
import * as tf from '@tensorflow/tfjs-core';
import { selectWith } from '@resprune/selector';
import { loadPipeline, readSafetensorsHeader, type GenerateRequest, type LvlmPipeline } from '../src/index.js';
import { removeDir, stridedSelector, tinyLlava15, writeTiny } from './fixtures.js';

const DOG = sharedPath('images', 'dog.jpg');
const KITE = sharedPath('images', 'kite.jpg');
const dirs: string[] = [];
let llava: LvlmPipeline;

beforeAll(async () => {
  const d = writeTiny(tinyLlava15());
  dirs.push(d);
  llava = await loadPipeline(d, { selector: stridedSelector });
});
afterAll(() => {
  llava?.dispose();
  dirs.forEach(removeDir);
});

const base: GenerateRequest = { image: DOG, prompt: 'What is the dog doing on the grass?', maxNewTokens: 0 };

/** Rows `[start, start + n)` of a row-major `[L, d]` matrix. */
function rows(m: Float32Array, d: number, start: number, n: number): Float32Array {
  return m.slice(start * d, (start + n) * d);
}

describe('the request loop', () => {
  it('embed() returns what generate() feeds the decoder: inputs_embeds, 1-D positions 0..L-1 and the kept rows', async () => {
    const req: GenerateRequest = { ...base, budget: { keep: 40 } };
    const e = await expectNoLeak(() => llava.embed(req));
    const g = await llava.generate({ ...req, returnEmbeddings: true });
    const d = llava.config.text.hiddenSize;
    expect(e.embeddings.positionShape).toEqual([e.keptRows.length]);
    expect(Array.from(e.embeddings.positionIds)).toEqual(Array.from({ length: e.keptRows.length }, (_, i) => i));
    expect(e.embeddings.nextPosition).toBe(e.keptRows.length);
    expect(Array.from(g.embeddings!.inputsEmbeds)).toEqual(Array.from(e.embeddings.inputsEmbeds));
    expect(Array.from(g.kept)).toEqual(Array.from(e.kept));
    // Text rows are the unpruned sequence's text rows; image rows are the kept visual tokens, in order.
    const s = e.imageSpan.start;
    expect(e.keptRows.length).toBe(e.inputIds.length - e.imageSpan.length + 40);
    expect(Array.from(e.keptRows.slice(0, s))).toEqual(Array.from({ length: s }, (_, i) => i));
    expect(Array.from(e.keptRows.slice(s, s + 40))).toEqual(Array.from(e.kept, (k) => s + k));
    const unpruned = await llava.embed(base);
    for (let j = 0; j < 40; j++) {
      expect(Array.from(rows(e.embeddings.inputsEmbeds, d, s + j, 1))).toEqual(Array.from(rows(unpruned.embeddings.inputsEmbeds, d, s + e.kept[j]!, 1)));
    }
    expect(Array.from(rows(e.embeddings.inputsEmbeds, d, 0, s))).toEqual(Array.from(rows(unpruned.embeddings.inputsEmbeds, d, 0, s)));
  });

  it('two images: one placeholder each, expanded to 576 tokens each, each image encoded as alone, each keeps its quota', async () => {
    const two = await llava.embed({ images: [DOG, KITE], prompt: 'Compare the dog and the kite.' });
    const dog = await llava.embed({ image: DOG, prompt: 'Compare the dog and the kite.' });
    const kite = await llava.embed({ image: KITE, prompt: 'Compare the dog and the kite.' });
    expect(two.imageSpans.map((s) => s.length)).toEqual([576, 576]);
    expect(two.imageSpans[1]!.start).toBeGreaterThan(two.imageSpans[0]!.start + 576);
    const d = llava.config.text.hiddenSize;
    const [a, b] = two.imageSpans;
    expect(Array.from(rows(two.embeddings.inputsEmbeds, d, a!.start, 576))).toEqual(Array.from(rows(dog.embeddings.inputsEmbeds, d, dog.imageSpan.start, 576)));
    expect(Array.from(rows(two.embeddings.inputsEmbeds, d, b!.start, 576))).toEqual(Array.from(rows(kite.embeddings.inputsEmbeds, d, kite.imageSpan.start, 576)));
    const pruned = await llava.generate({ images: [DOG, KITE], prompt: 'Compare the dog and the kite.', budget: { keep: 64 }, maxNewTokens: 1 });
    expect(pruned.kept.length).toBe(64);
    expect(pruned.kept.filter((k) => k < 576).length).toBe(32);
    expect(pruned.report.units.map((u) => u.kept)).toEqual([32, 32]);
    await expect(llava.generate({ image: DOG, images: [KITE], prompt: 'x' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(llava.generate({ images: [], prompt: 'x' })).rejects.toMatchObject({ code: 'E_EMPTY_INPUT' });
  });

  it('concurrent requests on one pipeline give what sequential ones give', async () => {
    const r1: GenerateRequest = { ...base, budget: { keep: 32 }, maxNewTokens: 3, returnStepLogits: true };
    const r2: GenerateRequest = { image: KITE, prompt: 'Describe the sky.', maxNewTokens: 3, returnStepLogits: true };
    const [c1, c2] = await Promise.all([llava.generate(r1), llava.generate(r2)]);
    const s1 = await llava.generate(r1);
    const s2 = await llava.generate(r2);
    expect(c1.generatedIds).toEqual(s1.generatedIds);
    expect(c2.generatedIds).toEqual(s2.generatedIds);
    expect(c1.stepLogits!.map((l) => Array.from(l))).toEqual(s1.stepLogits!.map((l) => Array.from(l)));
    expect(c2.stepLogits!.map((l) => Array.from(l))).toEqual(s2.stepLogits!.map((l) => Array.from(l)));
  });

  it('an AbortSignal cancels a request with E_ABORTED, before or during the work, and frees every tensor', async () => {
    await expectNoLeak(async () => {
      const before = new AbortController();
      before.abort();
      await expect(llava.generate({ ...base, signal: before.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
      const during = new AbortController();
      const run = llava.generate({ ...base, maxNewTokens: 50, budget: { keep: 16 }, signal: during.signal });
      setTimeout(() => during.abort(new Error('user pressed stop')), 5);
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    });
    // The pipeline still works afterwards.
    expect((await llava.generate({ ...base, maxNewTokens: 1 })).generatedIds.length).toBe(1);
  });

  it('a prompt plus new tokens beyond max_position_embeddings fails with E_LIMIT before any tensor exists', async () => {
    const before = tf.memory().numTensors;
    await expect(llava.generate({ ...base, maxNewTokens: 4000 })).rejects.toMatchObject({ code: 'E_LIMIT' });
    await expect(llava.generate({ ...base, prompt: 'dog '.repeat(5000) })).rejects.toMatchObject({ code: 'E_LIMIT' });
    expect(tf.memory().numTensors).toBe(before);
    await expect(llava.generate({ ...base, maxNewTokens: 5000 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('ResPrune picks depend on the prompt nouns: text-conditioned picks equal selectWith on the same tokens and text, and differ from unconditioned ones', async () => {
    const d = dirs[0]!;
    const withText = await loadPipeline(d);
    const noText = await loadPipeline(d, { textVectors: () => undefined });
    try {
      const req: GenerateRequest = { ...base, prompt: 'Is the kite above the tree or the house?', budget: { keep: 48 } };
      const a = await withText.embed(req);
      const b = await noText.embed(req);
      expect(Array.from(a.kept)).not.toEqual(Array.from(b.kept));
      // The same selection, computed outside the pipeline from the unpruned visual rows and the prompt's noun vectors.
      const full = await withText.embed({ image: DOG, prompt: req.prompt });
      const dim = withText.config.text.hiddenSize;
      const s = full.imageSpan.start;
      const visual = tf.tensor2d(rows(full.embeddings.inputsEmbeds, dim, s, 576), [576, dim]);
      const text = withText.textVectors(req.prompt);
      try {
        expect(text).toBeDefined();
        const direct = selectWith('resprune', visual, { keep: 48, text: text! }).kept;
        expect(Array.from(a.kept)).toEqual(Array.from(direct));
        const plain = selectWith('resprune', visual, { keep: 48 }).kept;
        expect(Array.from(b.kept)).toEqual(Array.from(plain));
      } finally {
        visual.dispose();
        text?.dispose();
      }
    } finally {
      withText.dispose();
      noText.dispose();
    }
  });
});

describe('broken weights', () => {
  it('a weight holding NaN fails the load with E_NON_FINITE naming the tensor, and frees what was loaded', async () => {
    const dir = writeTiny(tinyLlava15({ shards: 1 }));
    dirs.push(dir);
    const shard = join(dir, readdirSync(dir).find((f) => f.endsWith('.safetensors'))!);
    const entry = readSafetensorsHeader(shard).tensors.get('language_model.model.layers.1.mlp.up_proj.weight')!;
    const fd = openSync(shard, 'r+');
    writeSync(fd, new Uint8Array(new Float32Array([Number.NaN]).buffer), 0, 4, entry.byteOffset + 4 * 7);
    closeSync(fd);
    await expectNoLeak(async () => {
      const err = await loadPipeline(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'E_NON_FINITE', details: { tensor: 'language_model.model.layers.1.mlp.up_proj.weight', index: 7 } });
    });
  });
});
