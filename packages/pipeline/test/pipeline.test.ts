import llamaTokenizer from 'llama-tokenizer-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak, sharedPath } from '@resprune/test-backends';
import * as tf from '@tensorflow/tfjs-core';
import { kvBytesFor, loadPipeline, planPruning, type GenerateRequest, type LvlmPipeline, type RgbImage } from '../src/index.js';
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
      expect(out.report.kvCacheBytes).toBe(kvBytesFor(llava.config.text, Lp));
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

describe('fast selection path', () => {
  it('runs the greedy on the fast engine by default and on the plain kernels when asked, with the same picks', async () => {
    const req: GenerateRequest = { image: KITE, prompt: 'Where is the kite in the sky?', maxNewTokens: 0, budget: { keep: 96 } };
    const fast = await loadPipeline(dirs[0]!);
    let fastKept: number[];
    try {
      expect(['wasm-threads', 'wasm']).toContain(fast.selectionEngine.kind);
      expect(fast.selectionEngine.threads).toBeGreaterThanOrEqual(1);
      fastKept = Array.from((await fast.generate(req)).kept);
    } finally {
      fast.dispose();
    }
    const plain = await loadPipeline(dirs[0]!, { fastSelection: false });
    try {
      expect(plain.selectionEngine).toEqual({ kind: 'plain', threads: 1 });
      const out = await plain.generate(req);
      expect(Array.from(out.kept)).toEqual(fastKept);
    } finally {
      plain.dispose();
    }
  });
});

/** A synthetic RGB image of the given size (a colour gradient). */
function rgb(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / width;
      data[o + 1] = (y * 255) / height;
      data[o + 2] = ((x + y) * 97) % 256;
    }
  }
  return { width, height, data };
}

describe('backbone adapter (@resprune/backbone-llava) drives layout, budgets and compaction', () => {
  it('the image span equals adapter.imageTokenCount(size) for LLaVA-1.5 and NeXT at several sizes', async () => {
    const sizes: [number, number][] = [[640, 480], [480, 640], [1000, 300], [250, 1000], [84, 84], [37, 500]];
    const run = (p: LvlmPipeline, list: [number, number][]) =>
      p.generateBatch(list.map(([w, h]) => ({ image: rgb(w, h), prompt: 'Describe it.', maxNewTokens: 0 })));
    const l15 = await run(llava, sizes.slice(0, 3));
    l15.forEach((out, i) => {
      const [width, height] = sizes[i]!;
      expect(llava.backbone.id).toBe('llava-1.5');
      expect(out.imageSpan.length).toBe(llava.backbone.imageTokenCount({ width, height }));
      expect(out.imageSpan.length).toBe(576);
    });
    const nx = await run(next, sizes);
    nx.forEach((out, i) => {
      const [width, height] = sizes[i]!;
      const count = next.backbone.imageTokenCount({ width, height });
      expect(out.imageSpan.length).toBe(count);
      expect(out.inputIds.filter((id) => id === 32000).length).toBe(count);
      expect(out.report.visualTokensBefore).toBe(count);
    });
    // By hand, 640×480 on the tiny NeXT (84-px tiles of 6×6 tokens): best pinpoint 168×168 → 2×2 crops, a 12×12
    // grid; un-padding keeps int(480 · 12 / 640) = 9 rows → pad (12 − 9) // 2 = 1 → 10 rows × 12 cols, plus one
    // newline per row: 36 + 10 × 13 = 166.
    expect(nx[0]!.imageSpan.length).toBe(166);
  });

  it('per-view and per-crop budgets (GenerateRequest.policy) give each view or crop ⌈n × f⌉', async () => {
    const req: GenerateRequest = { image: DOG, prompt: 'What is the dog doing?', maxNewTokens: 0, budget: { keep: 20 }, newlines: 'drop' };
    const global = await next.generate(req);
    expect(global.report.policy).toBe('global');
    expect(global.report.units.map((u) => u.label)).toEqual(['image 0']);
    const perView = await next.generate({ ...req, policy: 'per-view' });
    const T = perView.imageSpan.length - perView.report.units.reduce((a, u) => a + u.candidates, 0);
    expect(T).toBeGreaterThan(0); // the newline tokens, left out of the candidates
    const candidates = perView.report.units.reduce((a, u) => a + u.candidates, 0);
    // base view: 6 × 6 = 36 candidates; crop grid: the rest
    expect(perView.report.units.map((u) => [u.label, u.candidates])).toEqual([['image 0 base', 36], ['image 0 crops', candidates - 36]]);
    const qBase = Math.ceil((36 * 20) / candidates);
    const qCrops = Math.ceil(((candidates - 36) * 20) / candidates);
    expect(perView.report.units.map((u) => u.kept)).toEqual([qBase, qCrops]);
    expect(Array.from(perView.kept).filter((i) => i < 36).length).toBe(qBase);
    expect(perView.kept.length).toBe(qBase + qCrops);
    expect(perView.report.sequenceLengthAfter).toBe(perView.inputIds.length - perView.imageSpan.length + qBase + qCrops);
    const perCrop = await next.generate({ ...req, policy: 'per-crop' });
    const crops = perCrop.report.units.filter((u) => u.label.startsWith('image 0 crops['));
    expect(perCrop.report.units[0]!.label).toBe('image 0 base');
    expect(crops.length).toBeGreaterThan(1);
    for (const u of perCrop.report.units) expect(u.kept).toBe(Math.ceil((u.candidates * 20) / candidates));
    expect(perCrop.kept.length).toBe(perCrop.report.units.reduce((a, u) => a + u.kept, 0));
    await expect(next.generate({ ...req, policy: 'per-image' as never })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('planPruning turns bad selector output into typed errors and frees its candidates', async () => {
    const adapter = next.backbone;
    const layout = adapter.layout({ width: 640, height: 480 });
    const visual = tf.randomNormal([layout.tokens, 8]) as tf.Tensor2D;
    try {
      const opts = { method: 'resprune', newlines: 'drop' as const };
      await expectNoLeak(async () => {
        const ok = await planPruning(visual, layout, adapter, { keep: 12 }, { ...opts, selector: stridedSelector, policy: 'per-view' });
        expect(ok.units.map((u) => u.label)).toEqual(['image 0 base', 'image 0 crops']);
        expect(ok.picked.length).toBe(ok.units.reduce((a, u) => a + u.kept, 0));
        await expect(planPruning(visual, layout, adapter, { keep: 12 }, { ...opts, selector: () => [0, 1] })).rejects.toMatchObject({ code: 'E_BUDGET' });
        await expect(planPruning(visual, layout, adapter, { keep: 2 }, { ...opts, selector: () => [3, 3] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
        await expect(planPruning(visual, layout, adapter, { keep: 1 }, { ...opts, selector: () => [100000] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
        await expect(planPruning(visual, layout, adapter, { keep: 1, ratio: 0.5 } as never, { ...opts, selector: stridedSelector })).rejects.toMatchObject({ code: 'E_BUDGET' });
        await expect(planPruning(visual, layout, adapter, { energy: 0.9, min: 9, max: 3 }, { ...opts, selector: stridedSelector })).rejects.toMatchObject({ code: 'E_BUDGET' });
      });
    } finally {
      visual.dispose();
    }
  });
});
