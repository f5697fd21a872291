/**
 * Qwen2.5-VL and Qwen2-VL through the whole pipeline (loadPipeline → generate) on real photos, against the
 * independent PyTorch reference (tooling/reference, `pipeline-cases.mjs` then `qwen_vl_reference.py`): the prompt
 * ids with `<|image_pad|>` expanded, the kept tokens, the M-RoPE ids of the kept rows and the prefill logits, unpruned
 * and pruned (ResPrune with the prompt's nouns), one and two images. The reference got the same processor pixels,
 * ids and kept indices; it computes vision tower, merger, get_rope_index and decoder on its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, sharedPath } from '@resprune/test-backends';
import { readNpy } from '@resprune/npy';
import { loadPipeline, type LvlmPipeline, type PruneBudget } from '../src/index.js';
import { removeDir } from './fixtures.js';
import { checkpointOptions, checkpointSha256, GOLDEN, GOLDEN_DIR, writeTinyQwen } from './qwen-fixtures.js';

interface PipelineCase {
  readonly name: string;
  readonly checkpoint: string;
  readonly images: readonly string[];
  readonly prompt: string;
  readonly budget?: PruneBudget;
  readonly inputIds: number[];
  readonly kept: number[] | null;
}
const SPEC = JSON.parse(readFileSync(join(GOLDEN_DIR, 'pipeline-cases.json'), 'utf8')) as { maxPixels: number; cases: PipelineCase[] };
const META = JSON.parse(readFileSync(join(GOLDEN_DIR, 'pipeline-meta.json'), 'utf8')) as { checkpoints: Record<string, string> };

function golden(name: string, what: string): { data: number[]; shape: number[] } {
  const a = readNpy(readFileSync(join(GOLDEN_DIR, `${name}.${what}.npy`)));
  const data = a.data as ArrayLike<number | bigint>;
  return { data: Array.from({ length: data.length }, (_, i) => Number(data[i])), shape: a.shape };
}

const dirs = new Map<string, string>();
const pipelines = new Map<string, LvlmPipeline>();

beforeAll(async () => {
  for (const name of new Set(SPEC.cases.map((c) => c.checkpoint))) {
    const dir = writeTinyQwen(checkpointOptions(GOLDEN.checkpoints[name]!, { maxPixels: SPEC.maxPixels }));
    dirs.set(name, dir);
    pipelines.set(name, await loadPipeline(dir));
  }
});
afterAll(() => {
  pipelines.forEach((p) => p.dispose());
  dirs.forEach((d) => removeDir(d));
});

describe('Qwen-VL end to end (loadPipeline → generate) against the PyTorch reference', () => {
  it('the checkpoints regenerate byte for byte (the SHA-256 the reference recorded)', () => {
    for (const [name, dir] of dirs) expect(checkpointSha256(dir), name).toBe(META.checkpoints[name]);
  });

  it('resolves the Qwen family and its adapter, with M-RoPE positions', () => {
    const p = pipelines.get('q25')!;
    expect(p.family.id).toBe('qwen2-vl');
    expect(p.backbone.id).toBe('qwen2.5-vl');
    expect(p.backbone.positionScheme).toBe('mrope');
    expect(pipelines.get('q2')!.backbone.id).toBe('qwen2-vl');
  });

  for (const c of SPEC.cases) {
    it(`${c.name}: ids, kept tokens, M-RoPE ids and prefill logits equal the reference`, async () => {
      const p = pipelines.get(c.checkpoint)!;
      const out = await expectNoLeak(() =>
        p.generate({
          images: c.images.map((f) => sharedPath('images', f)),
          prompt: c.prompt,
          ...(c.budget === undefined ? {} : { budget: c.budget }),
          maxNewTokens: 0,
          returnPrefillLogits: true,
          returnEmbeddings: true,
        }),
      );
      expect(out.inputIds).toEqual(c.inputIds);
      if (c.kept !== null) expect(Array.from(out.kept)).toEqual(c.kept);
      else expect(out.kept.length).toBe(out.imageSpans.reduce((a, s) => a + s.length, 0));
      const pos = golden(c.name, 'positions');
      const e = out.embeddings!;
      expect(e.positionShape).toEqual(pos.shape);
      expect(Array.from(e.positionIds)).toEqual(pos.data);
      // Logits at the reference's columns, every row of the pruned sequence.
      const ref = golden(c.name, 'logits');
      const V = p.config.text.vocabSize;
      const L = e.length;
      expect(ref.shape).toEqual([L, GOLDEN.columns.length]);
      let worst = 0;
      for (let r = 0; r < L; r++) {
        GOLDEN.columns.forEach((col, j) => {
          worst = Math.max(worst, Math.abs(out.prefillLogits![r * V + col]! - ref.data[r * GOLDEN.columns.length + j]!));
        });
      }
      expect(worst).toBeLessThan(2e-4);
    });
  }

  it('KV-cached decoding continues at the original max + 1 and equals recomputing the sequence', async () => {
    const p = pipelines.get('q25')!;
    const req = { images: [sharedPath('images', 'dog.jpg')], prompt: 'What is the dog doing on the grass?', budget: { keep: 7 }, maxNewTokens: 4, returnStepLogits: true, returnEmbeddings: true } as const;
    const cached = await p.generate(req);
    const recomputed = await p.generate({ ...req, useKvCache: false });
    expect(cached.generatedIds).toEqual(recomputed.generatedIds);
    cached.stepLogits!.forEach((l, i) => {
      const m = recomputed.stepLogits![i]!;
      let worst = 0;
      for (let j = 0; j < l.length; j++) worst = Math.max(worst, Math.abs(l[j]! - m[j]!));
      expect(worst).toBeLessThan(1e-4);
    });
    // Generated tokens continue after the ORIGINAL sequence's largest id, whatever was pruned.
    const e = cached.embeddings!;
    const full = await p.embed({ images: req.images, prompt: req.prompt });
    expect(e.nextPosition).toBe(Math.max(...e.positionIds) + 1);
    expect(e.nextPosition).toBe(full.embeddings.nextPosition);
    expect(e.length).toBeLessThan(full.embeddings.length);
  });
});
