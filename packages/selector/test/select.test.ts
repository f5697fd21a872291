import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { expectClose, expectNoLeak } from '@resprune/test-backends';
import { relevanceFromCosine, relevanceWeights, select, type SelectionResult } from '../src/index.js';
import { randomRows } from './helpers.js';

const backend = inject('tfBackend');

function invariants(r: SelectionResult, k: number): void {
  expect(r.kept.length).toBe(k);
  expect(r.order.length).toBe(k);
  expect(Array.from(r.kept)).toEqual(Array.from(r.order).sort((a, b) => a - b));
  for (let t = 1; t < k; t++) {
    expect(r.kept[t]!).toBeGreaterThan(r.kept[t - 1]!);
    expect(r.energy[t]!).toBeGreaterThanOrEqual(r.energy[t - 1]!);
  }
  expect(r.relevance.length).toBe(r.n);
}

describe(`select [${backend}]`, () => {
  it('by hand: keeps the most different directions, kept ascending, order by pick', () => {
    const visual = [
      [1, 0, 0],
      [0.9, 0.1, 0],
      [0, 2, 0],
      [0, 0, 1.5],
    ];
    const r = select(visual, { keep: 3 });
    expect(r.method).toBe('resprune');
    expect([r.n, r.d]).toEqual([4, 3]);
    // norms² 1, 0.82, 4, 2.25: pick 2, then 3; token 0 (residual 1) beats token 1 (0.81)
    expect(Array.from(r.order)).toEqual([2, 3, 0]);
    expect(Array.from(r.kept)).toEqual([0, 2, 3]);
    expectClose(r.scores, [4, 2.25, 1], 1e-5);
    // captured: ‖x_2‖² + 0.1² of token 1 along e₂, then + 2.25 along e₃; after 3 picks the span is R³
    expectClose(r.energy, [4.01 / 8.07, 6.26 / 8.07, 1], 1e-6);
    expect(Array.from(r.relevance)).toEqual([1, 1, 1, 1]);
  });

  it('text relevance per spec item 1 and weights r^α change the picks', () => {
    const visual = [
      [2, 0],
      [0, 1],
    ];
    const text = [[0, 1]];
    // c = [0, 1] → r = [1e-6 / (1 + 1e-6), 1]
    const r1 = select(visual, { keep: 1, text });
    expectClose(r1.relevance, [1e-6 / (1 + 1e-6), 1], 1e-9);
    expect(Array.from(r1.order)).toEqual([1]); // w·E: 4e-6 vs 1
    const r0 = select(visual, { keep: 1, text, alpha: 0 });
    expect(Array.from(r0.order)).toEqual([0]); // α = 0 ignores the text
    expectClose(r0.relevance, r1.relevance, 0);
  });

  it('accepts a tensor, { data, shape } (Float32/Float64/number[]) and number[][] alike', () => {
    const rows = randomRows(12, 5, 3);
    const flat = rows.flat();
    const want = select(rows, { keep: 4 });
    const t = tf.tensor2d(rows);
    for (const visual of [
      t,
      { data: Float32Array.from(flat), shape: [12, 5] as const },
      { data: Float64Array.from(flat), shape: [12, 5] as const },
      { data: flat, shape: [12, 5] as const },
    ]) {
      const r = select(visual, { keep: 4 });
      expect(Array.from(r.order)).toEqual(Array.from(want.order));
      expect(Array.from(r.scores)).toEqual(Array.from(want.scores));
    }
    expect(t.isDisposed).toBe(false); // inputs are borrowed, not disposed
  });

  it('budgets: keep ≥ N keeps all, ratio rounds to nearest, energy picks the smallest K', () => {
    const rows = randomRows(10, 6, 7);
    expect(select(rows, { keep: 99 }).kept.length).toBe(10);
    expect(select(rows, { ratio: 0.25 }).kept.length).toBe(3); // 2.5 → 3
    expect(select(rows, { ratio: 0.01 }).kept.length).toBe(1);
    expect(select(rows, { ratio: 1 }).kept.length).toBe(10);
    const full = select(rows, { keep: 10 });
    expect(full.energy[9]).toBe(1);
    for (const tau of [0.2, 0.6, 0.95, 1]) {
      const want = full.energy.findIndex((e) => e >= tau) + 1;
      const r = select(rows, { energy: tau });
      expect(r.kept.length).toBe(want);
      expect(Array.from(r.order)).toEqual(Array.from(full.order.slice(0, want)));
      expect(r.energy[want - 1]).toBeGreaterThanOrEqual(tau);
      if (want > 1) expect(r.energy[want - 2]).toBeLessThan(tau);
    }
    expect(select(rows, { energy: 0.2, minKeep: 6 }).kept.length).toBe(Math.max(6, full.energy.findIndex((e) => e >= 0.2) + 1));
    expect(select(rows, { energy: 1, maxKeep: 4 }).kept.length).toBe(4);
  });

  it("normalize: 'l2' equals selecting on unit rows, 'center' on mean-subtracted rows; relevance uses raw tokens", () => {
    const rows = randomRows(15, 4, 9).map((row, i) => row.map((v) => v * (1 + i)));
    const text = randomRows(2, 4, 10);
    const unit = rows.map((row) => {
      const s = Math.hypot(...row);
      return row.map((v) => v / s);
    });
    const mean = rows[0]!.map((_, k) => rows.reduce((s, row) => s + row[k]!, 0) / rows.length);
    const centred = rows.map((row) => row.map((v, k) => v - mean[k]!));
    const l2 = select(rows, { keep: 4, normalize: 'l2', text, alpha: 1 });
    const viaUnit = select(unit, { keep: 4, text, alpha: 1 });
    expect(Array.from(l2.order)).toEqual(Array.from(viaUnit.order));
    expectClose(l2.relevance, viaUnit.relevance, 1e-5); // cosine is scale-invariant
    const c = select(rows, { keep: 4, normalize: 'center' });
    expect(Array.from(c.order)).toEqual(Array.from(select(centred, { keep: 4 }).order));
    expect(Array.from(select(rows, { keep: 4, normalize: 'none' }).order)).toEqual(Array.from(select(rows, { keep: 4 }).order));
  });

  it("'center' stays exact for magnitudes that would overflow float32 sums", () => {
    const rows = randomRows(9, 3, 2);
    const big = rows.map((row) => row.map((v) => v * 2 ** 100));
    const a = select(rows, { keep: 3, normalize: 'center' });
    const b = select(big, { keep: 3, normalize: 'center' });
    expect(Array.from(b.order)).toEqual(Array.from(a.order));
    for (let t = 0; t < 3; t++) expect(b.scores[t]! / 2 ** 200).toBeCloseTo(a.scores[t]!, 5);
  });

  it('text with zero rows means no conditioning', () => {
    const rows = randomRows(6, 3, 4);
    const plain = select(rows, { keep: 2 });
    for (const text of [[], { data: [], shape: [0, 3] as const }, tf.zeros<tf.Rank.R2>([0, 3])]) {
      const r = select(rows, { keep: 2, text });
      expect(Array.from(r.order)).toEqual(Array.from(plain.order));
      expect(Array.from(r.relevance)).toEqual([1, 1, 1, 1, 1, 1]);
    }
  });

  it('helpers: relevanceFromCosine and relevanceWeights', () => {
    expectClose(relevanceFromCosine([0.1, 0.3, 0.2]), [1e-6 / 0.200001, 1, 0.100001 / 0.200001], 1e-7);
    expectClose(relevanceFromCosine([0.5, 0.5]), [1, 1], 0); // all equal: 1e-6 / 1e-6
    expect(Array.from(relevanceWeights(Float32Array.of(1, 0.5, 0.25), 2))).toEqual([1, 0.25, 0.0625]);
    expect(Array.from(relevanceWeights(Float32Array.of(1e-6, 0.5), 0))).toEqual([1, 1]);
  });

  it('a realistic size runs and keeps its invariants', () => {
    const n = 144;
    const d = 64;
    const visual = { data: Float32Array.from(randomRows(n, d, 1).flat()), shape: [n, d] as const };
    const r = select(visual, { keep: 32, text: randomRows(3, d, 2), normalize: 'l2', alpha: 2 });
    invariants(r, 32);
  });

  it('leaves no tensors behind, whatever the input form or outcome', async () => {
    const rows = randomRows(20, 6, 5);
    const t = tf.tensor2d(rows);
    const text = tf.tensor2d(randomRows(2, 6, 6));
    await expectNoLeak(() => select(rows, { keep: 5, text: randomRows(2, 6, 6) }));
    await expectNoLeak(() => select(t, { keep: 5, text, normalize: 'l2' }));
    await expectNoLeak(() => select(t, { energy: 0.9, normalize: 'center' }));
    await expectNoLeak(() => expect(() => select(rows, { keep: 5, text: [[1, 2]] })).toThrow());
    await expectNoLeak(() => expect(() => select(rows, { keep: 0 })).toThrow());
  });
});
