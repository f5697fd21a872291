import llamaTokenizer from 'llama-tokenizer-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak, sharedPath } from '@resprune/test-backends';
import { kvBytesFor, loadPipeline, type GenerateRequest, type LvlmPipeline } from '../src/index.js';
import { removeDir, stridedSelector, tinyLlava15, tinyLlavaNext, writeTiny } from './fixtures.js';

const DOG = sharedPath('images', 'dog.jpg');
const KITE = sharedPath('images', 'kite.jpg');
const dirs: string[] = [];
let llava: LvlmPipeline;
let next: LvlmPipeline;

beforeAll(async () => {
  const d1 = writeTiny(tinyLlava15());
  const d2 = writeTiny(tinyLlavaNext());
  dirs.push(d1, d2);
  llava = await loadPipeline(d1, { selector: stridedSelector });
  next = await loadPipeline(d2, { selector: stridedSelector });
});
afterAll(() => {
  llava?.dispose();
  next?.dispose();
  dirs.forEach(removeDir);
});

/** Bitwise equality of two float arrays (fast on 10⁷ elements, unlike a deep toEqual). */
function expectIdentical(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`arrays differ at ${i}: ${a[i]} vs ${b[i]}`);
  }
}

const base: GenerateRequest = { image: DOG, prompt: 'What is the dog doing on the grass?', maxNewTokens: 0, returnPrefillLogits: true };

describe('LLaVA-1.5 pipeline', () => {
  it('loads the sharded published layout with LLaMA-2 defaults and a real tokenizer', () => {
    expect(llava.tensorLayout).toBe('published');
    expect(llava.config.modelType).toBe('llava');
    expect(llava.config.text.numKvHeads).toBe(2);
    expect(llava.tokenizer.vocabSize).toBe(32002);
  });

  it('expands the image placeholder of the chat-templated prompt to 576 tokens, with LLaMA-2 ids around it', async () => {
    const out = await llava.generate({ ...base, returnPrefillLogits: false });
    const { start, length } = out.imageSpan;
    expect(length).toBe(576);
    expect(out.inputIds.slice(0, start)).toEqual(llamaTokenizer.encode('USER: ', true, true));
    expect(out.inputIds.slice(start, start + length).every((id) => id === 32000)).toBe(true);
    const tail = out.inputIds.slice(start + length);
    // "\n" after the image is SentencePiece "▁" + <0x0A>; the rest is the plain text.
    expect(tail.slice(0, 2)).toEqual([29871, 13]);
    expect(tail.slice(2)).toEqual(llamaTokenizer.encode('What is the dog doing on the grass? ASSISTANT:', false, false));
    expect(Array.from(out.kept)).toEqual(Array.from({ length: 576 }, (_, i) => i));
  });

  it('keeping every token gives exactly the logits of the unpruned model', async () => {
    const full = await llava.generate(base);
    const keepAll = await llava.generate({ ...base, budget: { keep: 576 } });
    expect(keepAll.report.visualTokensAfter).toBe(576);
    expect(keepAll.prefillLogits!.length).toBe(full.inputIds.length * 32064);
    expectIdentical(keepAll.prefillLogits!, full.prefillLogits!);
    // a budget above N (and ratio 1) also keeps everything
    const keepMore = await llava.generate({ ...base, returnPrefillLogits: false, budget: { keep: 5000 }, maxNewTokens: 1, returnStepLogits: true });
    const fullStep = await llava.generate({ ...base, returnPrefillLogits: false, maxNewTokens: 1, returnStepLogits: true });
    expect(keepMore.kept.length).toBe(576);
    expectIdentical(keepMore.stepLogits![0]!, fullStep.stepLogits![0]!);
  });

  it('pruned prefill has length L - N + K, and LLM FLOPs and KV bytes fall in proportion', async () => {
    const full = await llava.generate({ ...base, returnPrefillLogits: false, maxNewTokens: 1 });
    const L = full.inputIds.length;
    for (const k of [192, 128, 64]) {
      const out = await llava.generate({ ...base, returnPrefillLogits: k === 64, maxNewTokens: 1, budget: { keep: k } });
      const Lp = L - 576 + k;
      expect(out.report.sequenceLengthAfter).toBe(Lp);
      expect(out.kept.length).toBe(k);
      if (k === 64) expect(out.prefillLogits!.length).toBe(Lp * 32064);
      expect(out.report.kvCacheBytes).toBe(kvBytesFor(llava.config, Lp));
      expect(out.report.kvCacheBytes / full.report.kvCacheBytes).toBeCloseTo(Lp / L, 12);
      expect(out.report.flops.llmMlp / full.report.flops.llmMlp).toBeCloseTo(Lp / L, 12);
      expect(out.report.flops.llmAttention).toBeLessThan(full.report.flops.llmAttention * (Lp / L));
      expect(out.report.flops.vision).toBe(full.report.flops.vision);
      expect(out.report.flopsUnpruned.llmMlp).toBe(full.report.flops.llmMlp);
      expect(out.report.kvCacheBytesUnpruned).toBe(full.report.kvCacheBytes);
      // kept indices are ascending and inside the span
      for (let i = 1; i < k; i++) expect(out.kept[i]!).toBeGreaterThan(out.kept[i - 1]!);
    }
  });

  it('KV-cached decoding gives the same tokens and logits as recomputing the sequence each step', async () => {
    const req: GenerateRequest = { ...base, returnPrefillLogits: false, maxNewTokens: 6, stopTokenIds: [], returnStepLogits: true, budget: { keep: 100 } };
    const cached = await llava.generate(req);
    const recomputed = await llava.generate({ ...req, useKvCache: false });
    expect(cached.generatedIds.length).toBe(6);
    expect(cached.generatedIds).toEqual(recomputed.generatedIds);
    cached.stepLogits!.forEach((l, i) => expectClose(l, recomputed.stepLogits![i]!, 1e-3));
    expect(cached.report.timings.decodeMsPerToken).toBeGreaterThan(0);
  });

  it('the same request twice gives the same output (greedy and seeded sampling)', async () => {
    const req: GenerateRequest = { ...base, maxNewTokens: 4, stopTokenIds: [], budget: { keep: 64 } };
    const a = await llava.generate(req);
    const b = await llava.generate(req);
    expect(a.generatedIds).toEqual(b.generatedIds);
    expect(a.text).toBe(b.text);
    expectIdentical(a.prefillLogits!, b.prefillLogits!);
    const s = { temperature: 1.5, topK: 50, topP: 0.95, seed: 7 };
    const c = await llava.generate({ ...req, sampling: s });
    const d = await llava.generate({ ...req, sampling: s });
    expect(c.generatedIds).toEqual(d.generatedIds);
  });

  it('a batch of two images equals two single runs', async () => {
    const r1: GenerateRequest = { image: DOG, prompt: 'Describe the dog.', maxNewTokens: 3, stopTokenIds: [], returnPrefillLogits: true, budget: { keep: 96 } };
    const r2: GenerateRequest = { image: KITE, prompt: 'What color is the kite in the sky?', maxNewTokens: 3, stopTokenIds: [], returnPrefillLogits: true, budget: { keep: 64 } };
    const [b1, b2] = await llava.generateBatch([r1, r2]);
    const s1 = await llava.generate(r1);
    const s2 = await llava.generate(r2);
    expect(b1!.generatedIds).toEqual(s1.generatedIds);
    expect(b2!.generatedIds).toEqual(s2.generatedIds);
    expect(b1!.inputIds).toEqual(s1.inputIds);
    expectClose(b1!.prefillLogits!, s1.prefillLogits!, 1e-3);
    expectClose(b2!.prefillLogits!, s2.prefillLogits!, 1e-3);
  });

  it('leaves no tensor behind, also after a request error', async () => {
    await expectNoLeak(() => llava.generate({ ...base, maxNewTokens: 2, budget: { keep: 32 } }));
    await expectNoLeak(async () => {
      await expect(llava.generate({ ...base, budget: { keep: 0 } })).rejects.toMatchObject({ code: 'E_BUDGET' });
      await expect(llava.generate({ ...base, budget: { ratio: 1.5 } })).rejects.toMatchObject({ code: 'E_BUDGET' });
      await expect(llava.generate({ ...base, prompt: '  ' })).rejects.toMatchObject({ code: 'E_EMPTY_INPUT' });
      await expect(llava.generate({ ...base, maxNewTokens: -1 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
      await expect(llava.generate({ ...base, sampling: { temperature: 0 } })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
      await expect(llava.generate({ ...base, image: new Uint8Array([1, 2, 3, 4]) })).rejects.toMatchObject({ code: 'E_IMAGE_DECODE' });
      await expect(llava.generate({ ...base, image: '/nonexistent/photo.jpg' })).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    });
  });
});

describe('LLaVA-NeXT pipeline', () => {
  it('anyres: base view + un-padded grid with one image_newline per row', async () => {
    const out = await next.generate({ ...base, returnPrefillLogits: false });
    // dog.jpg is landscape: best grid among the pinpoints, un-padded rows, newline after each row.
    const { length } = out.imageSpan;
    expect(length).toBeGreaterThan(36);
    expect(out.report.visualTokensBefore).toBe(length);
    expect(out.inputIds.slice(0, 5)).toEqual([1, 733, 16289, 28793, 28705]); // <s> [INST] ▁
  });

  it('keeping every candidate gives exactly the unpruned logits', async () => {
    const full = await next.generate(base);
    const all = await next.generate({ ...base, budget: { keep: 100000 }, newlines: 'keep' });
    expect(all.report.visualTokensAfter).toBe(full.report.visualTokensBefore);
    expectIdentical(all.prefillLogits!, full.prefillLogits!);
  });

  it('newline rules: drop removes them, keep-rows keeps the newline of every row with a kept token', async () => {
    const dropped = await next.generate({ ...base, budget: { keep: 20 }, newlines: 'drop' });
    expect(dropped.kept.length).toBe(20);
    const rows = await next.generate({ ...base, budget: { keep: 20 }, newlines: 'keep-rows' });
    expect(rows.kept.length).toBeGreaterThan(20);
    expect(rows.report.sequenceLengthAfter).toBe(rows.inputIds.length - rows.imageSpan.length + rows.kept.length);
  });

  it('KV cache equals recompute with GQA 4:1 (Mistral)', async () => {
    const req: GenerateRequest = { ...base, returnPrefillLogits: false, maxNewTokens: 5, stopTokenIds: [], returnStepLogits: true, budget: { ratio: 0.5 } };
    const a = await next.generate(req);
    const b = await next.generate({ ...req, useKvCache: false });
    expect(a.generatedIds).toEqual(b.generatedIds);
    a.stepLogits!.forEach((l, i) => expectClose(l, b.stepLogits![i]!, 1e-3));
  });

  it('a batch of two images with different token counts equals two single runs', async () => {
    const r1: GenerateRequest = { image: DOG, prompt: 'Describe the dog.', maxNewTokens: 2, stopTokenIds: [], returnPrefillLogits: true };
    const r2: GenerateRequest = { image: sharedPath('images', 'person.jpg'), prompt: 'Who is this?', maxNewTokens: 2, stopTokenIds: [], returnPrefillLogits: true, budget: { ratio: 0.3 } };
    const [b1, b2] = await next.generateBatch([r1, r2]);
    const s1 = await next.generate(r1);
    const s2 = await next.generate(r2);
    expect(b1!.generatedIds).toEqual(s1.generatedIds);
    expect(b2!.generatedIds).toEqual(s2.generatedIds);
    expectClose(b1!.prefillLogits!, s1.prefillLogits!, 1e-3);
    expectClose(b2!.prefillLogits!, s2.prefillLogits!, 1e-3);
  });
});

describe('default selector (@resprune/selector) and text vectors (@resprune/text)', () => {
  it('prunes with ResPrune, conditioned on the prompt nouns, with keep / ratio / energy budgets', async () => {
    const p = await loadPipeline(dirs[0]!);
    try {
      const req: GenerateRequest = { image: DOG, prompt: 'What is the dog doing on the grass?', maxNewTokens: 1 };
      const k = await p.generate({ ...req, budget: { keep: 64 } });
      expect(k.kept.length).toBe(64);
      expect(k.report.method).toBe('resprune');
      for (let i = 1; i < 64; i++) expect(k.kept[i]!).toBeGreaterThan(k.kept[i - 1]!);
      const again = await p.generate({ ...req, budget: { keep: 64 } });
      expect(Array.from(again.kept)).toEqual(Array.from(k.kept));
      const r = await p.generate({ ...req, budget: { ratio: 0.25 } });
      expect(r.kept.length).toBe(144);
      const e = await p.generate({ ...req, budget: { energy: 0.9, min: 16, max: 400 } });
      expect(e.kept.length).toBeGreaterThanOrEqual(16);
      expect(e.kept.length).toBeLessThanOrEqual(400);
      const noText = await loadPipeline(dirs[0]!, { textVectors: () => undefined });
      try {
        const plain = await noText.generate({ ...req, budget: { keep: 64 } });
        expect(plain.kept.length).toBe(64);
      } finally {
        noText.dispose();
      }
      await expect(p.generate({ ...req, budget: { keep: 8 }, method: 'no-such-method' })).rejects.toMatchObject({ code: 'E_UNKNOWN_METHOD' });
    } finally {
      p.dispose();
    }
  });
});
