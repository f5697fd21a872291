import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectNoLeak } from '@resprune/test-backends';
import {
  energyCurve,
  hasKernel,
  registerKernels,
  ResidualGreedy,
  residualGreedy,
  unregisterKernels,
  type ResidualGreedyResult,
} from '../src/index.js';
import { gaussian, randomMatrix, referenceGreedy, rng, rows } from './reference.js';

const backend = inject('tfBackend');
beforeAll(() => registerKernels());
afterAll(() => registerKernels());

const mat = (x: Float32Array | number[][], n?: number, d?: number): tf.Tensor2D =>
  Array.isArray(x) ? tf.tensor2d(x) : tf.tensor2d(x, [n!, d!]);

/** Seeds whose float64 reference has a relative score gap ≥ `gap` at every residual pick (no near-ties). */
function wellSeparated(make: (seed: number) => { x: Float32Array; w: number[] }, n: number, d: number, k: number, gap = 1e-3): {
  x: Float32Array;
  w: number[];
  seed: number;
} {
  for (let seed = 1; seed < 500; seed++) {
    const { x, w } = make(seed);
    const ref = referenceGreedy(rows(x, n, d), w, k);
    if (ref.margins.every((m) => m >= gap)) return { x, w, seed };
  }
  throw new Error('no well-separated seed found');
}

function expectSameAsReference(r: ResidualGreedyResult, x: Float32Array, n: number, d: number, w: number[], k: number): void {
  const ref = referenceGreedy(rows(x, n, d), w, k);
  expect(Array.from(r.order)).toEqual(ref.order);
  expect(r.residualPicks).toBe(ref.residualPicks);
  for (let t = 0; t < ref.order.length; t++) {
    // float32 Gram entries: relative error of a residual is ~1e-6 here; the energy curve is a ratio of sums
    expect(Math.abs(r.scores[t]! - ref.scores[t]!)).toBeLessThanOrEqual(1e-4 * ref.scores[0]!);
    expect(Math.abs(r.energy[t]! - ref.energy[t]!)).toBeLessThanOrEqual(1e-5);
  }
}

describe(`residualGreedy [${backend}]`, () => {
  it('dispatches to the custom kernel on cpu and wasm', () => {
    expect(hasKernel(ResidualGreedy)).toBe(backend === 'cpu' || backend === 'wasm');
    const r = residualGreedy(mat([[1, 0], [0, 1]]), undefined, 1);
    expect(r.stats.path).toBe(backend === 'cpu' || backend === 'wasm' ? 'kernel' : 'composed');
  });

  it('small case by hand: largest norm first, then the most orthogonal', () => {
    // norms² 9, 1, 9.01: token 2 wins first (largest); token 0 is almost parallel to it (residual
    // 9·0.01²/9.01 ≈ 0.0010), token 1 keeps residual ≈ 1 − 0.1²·… → picked second.
    const x = mat([[3, 0], [0, 1], [3, 0.1]]);
    const r = residualGreedy(x, undefined, 3);
    expect(Array.from(r.order)).toEqual([2, 1, 0]);
    expect(r.scores[0]).toBeCloseTo(9.01, 4);
    // residual of token 1 after projecting out (3, 0.1): 1 − 0.1²/9.01
    expect(r.scores[1]).toBeCloseTo(1 - 0.01 / 9.01, 5);
    // 2-D: after two picks the span is everything, the third is a rank-exhaustion fill
    expect(r.residualPicks).toBe(2);
    expect(r.exhausted).toBe(true);
    expect(r.scores[2]).toBe(0);
    expect(Array.from(r.energy)).toEqual([r.energy[0], 1, 1]);
    // captured after the first pick: ‖x_2‖² + (x_0·x_2)²/‖x_2‖² + (x_1·x_2)²/‖x_2‖² over Σ‖x_i‖² = 19.01
    expect(r.energy[0]).toBeCloseTo((9.01 + (81 + 0.01) / 9.01) / 19.01, 5);
  });

  it('weights change the pick (w_i · E_i)', () => {
    const x = mat([[2, 0], [0, 1]]);
    expect(Array.from(residualGreedy(x, [1, 1], 1).order)).toEqual([0]);
    expect(Array.from(residualGreedy(x, [0.2, 1], 1).order)).toEqual([1]); // 0.2·4 < 1
    expect(residualGreedy(x, [0.2, 1], 1).scores[0]).toBeCloseTo(1, 6);
  });

  it('ties go to the lowest index', () => {
    const x = mat([[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]);
    const r = residualGreedy(x, undefined, 4);
    expect(Array.from(r.order.slice(0, 3))).toEqual([0, 1, 2]);
    expect(r.order[3]).toBe(3); // duplicate of token 1: rank exhausted, filled last
    expect(r.residualPicks).toBe(3);
  });

  it('agrees with a float64 column-pivoted Gram–Schmidt reference (weighted, d > n)', () => {
    const n = 30;
    const d = 48;
    const { x, w } = wellSeparated(
      (seed) => {
        const rand = rng(seed * 7 + 1);
        return { x: randomMatrix(n, d, seed), w: Array.from({ length: n }, () => Math.fround(0.2 + rand())) };
      },
      n,
      d,
      n,
    );
    const r = residualGreedy(mat(x, n, d), w, n);
    expectSameAsReference(r, x, n, d, w, n);
    expect(r.energy[n - 1]).toBe(1);
  });

  it('agrees with the reference on low-rank tokens, including the rank-exhaustion fill', () => {
    const n = 40;
    const d = 24;
    const rank = 6;
    const { x } = wellSeparated(
      (seed) => {
        const g = gaussian(rng(seed));
        const a = Array.from({ length: n * rank }, g);
        const b = Array.from({ length: rank * d }, g);
        const out = new Float32Array(n * d);
        for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) for (let q = 0; q < rank; q++) out[i * d + k] = out[i * d + k]! + a[i * rank + q]! * b[q * d + k]!;
        return { x: out, w: new Array<number>(n).fill(1) };
      },
      n,
      d,
      20,
    );
    const w = new Array<number>(n).fill(1);
    const r = residualGreedy(mat(x, n, d), undefined, 20);
    expectSameAsReference(r, x, n, d, w, 20);
    expect(r.residualPicks).toBe(rank);
    expect(r.exhausted).toBe(true);
    // fills: w_i‖x_i‖² descending among the rest
    const norm = (i: number): number => rows(x, n, d)[i]!.reduce((s, v) => s + v * v, 0);
    const fills = Array.from(r.order.slice(rank));
    for (let t = 1; t < fills.length; t++) expect(norm(fills[t - 1]!)).toBeGreaterThanOrEqual(norm(fills[t]!));
    expect(Array.from(r.scores.slice(rank)).every((s) => s === 0)).toBe(true);
    expect(Array.from(r.energy.slice(rank - 1)).every((e) => e === 1)).toBe(true);
  });

  it('gives identical selections for every rowBlock (speculative rows are exact)', () => {
    const n = 60;
    const d = 32;
    const x = mat(randomMatrix(n, d, 11), n, d);
    const w = Array.from({ length: n }, (_, i) => 0.5 + ((i * 37) % 11) / 10);
    const base = residualGreedy(x, w, 40, { rowBlock: 1 });
    expect(base.stats.gramRows).toBe(base.residualPicks);
    for (const rowBlock of [2, 3, 5, 8, 17, 64]) {
      const r = residualGreedy(x, w, 40, { rowBlock });
      expect(Array.from(r.order)).toEqual(Array.from(base.order));
      expect(Array.from(r.scores)).toEqual(Array.from(base.scores)); // bit-identical
      expect(Array.from(r.energy)).toEqual(Array.from(base.energy));
      expect(r.stats.gramBlocks).toBeLessThanOrEqual(base.stats.gramBlocks);
    }
  });

  it('composed path (no custom kernel) selects the same tokens as the kernel', () => {
    const n = 50;
    const d = 20;
    const { x, w } = wellSeparated((seed) => ({ x: randomMatrix(n, d, seed + 100), w: new Array<number>(n).fill(1) }), n, d, 25);
    const t = mat(x, n, d);
    const viaKernel = residualGreedy(t, w, 25);
    unregisterKernels();
    try {
      const composed = residualGreedy(t, w, 25);
      expect(composed.stats.path).toBe('composed');
      expect(Array.from(composed.order)).toEqual(Array.from(viaKernel.order));
      for (let i = 0; i < 25; i++) expect(Math.abs(composed.energy[i]! - viaKernel.energy[i]!)).toBeLessThanOrEqual(1e-5);
    } finally {
      registerKernels();
    }
  });

  it('never picks a duplicated token twice while other directions remain', () => {
    const x = mat([[5, 0, 0], [5, 0, 0], [0, 1, 0], [5, 0, 0], [0, 0, 0.5]]);
    const r = residualGreedy(x, undefined, 3);
    expect(Array.from(r.order)).toEqual([0, 2, 4]);
    expect(r.energy[2]).toBe(1);
  });

  it('energyTarget stops at the smallest count whose curve reaches the target', () => {
    const n = 40;
    const d = 16;
    const x = mat(randomMatrix(n, d, 5), n, d);
    const full = residualGreedy(x, undefined, n);
    for (const target of [0.1, 0.5, 0.9, 0.99, 1]) {
      const want = full.energy.findIndex((e) => e >= target) + 1;
      const r = residualGreedy(x, undefined, n, { energyTarget: target });
      expect(r.order.length).toBe(want);
      expect(Array.from(r.order)).toEqual(Array.from(full.order.slice(0, want)));
      expect(r.stats.gramRows).toBeLessThanOrEqual(full.stats.gramRows);
    }
    // minPicks forces more; k caps
    expect(residualGreedy(x, undefined, n, { energyTarget: 0.1, minPicks: 7 }).order.length).toBe(Math.max(7, full.energy.findIndex((e) => e >= 0.1) + 1));
    expect(residualGreedy(x, undefined, 3, { energyTarget: 1 }).order.length).toBe(3);
  });

  it('all-zero tokens: nothing to capture, picks in index order, curve is 1', () => {
    const r = residualGreedy(tf.zeros<tf.Rank.R2>([4, 3]), undefined, 3);
    expect(Array.from(r.order)).toEqual([0, 1, 2]);
    expect(Array.from(r.energy)).toEqual([1, 1, 1]);
    expect(r.residualPicks).toBe(0);
  });

  it('zero weights are never picked by the residual criterion, only filled', () => {
    const x = mat([[1, 0], [0, 3], [1, 1]]);
    const r = residualGreedy(x, [1, 0, 1], 3);
    expect(Array.from(r.order)).toEqual([2, 0, 1]);
    expect(r.scores[2]).toBe(0);
  });

  it('is exact under power-of-two rescaling, even where float32 Gram entries would overflow or underflow', () => {
    const n = 24;
    const d = 10;
    const raw = randomMatrix(n, d, 3);
    const base = residualGreedy(mat(raw, n, d), undefined, 10);
    for (const e of [70, -70]) {
      const s = 2 ** e;
      const r = residualGreedy(mat(raw.map((v) => v * s), n, d), undefined, 10);
      expect(Array.from(r.order)).toEqual(Array.from(base.order));
      for (let t = 0; t < 10; t++) expect(r.scores[t]! / (s * s)).toBeCloseTo(base.scores[t]!, 6);
      expect(r.energy.every((v) => Number.isFinite(v))).toBe(true);
    }
  });

  it('recomputes drifted residuals: nearly dependent tokens keep accurate scores', () => {
    // token 2 = token 0 + 1e-3 · token 1-ish direction: its residual after picking 0 and 3 is tiny,
    // the downdate alone would lose most digits in float32 Gram arithmetic.
    const base = [
      [1, 2, 3, 4, 5, 6],
      [0, 1, 0, -1, 0, 1],
      [1, 2, 3, 4, 5, 6.003],
      [6, 5, 4, 3, 2, 1],
    ];
    const x = Float32Array.from(base.flat());
    const r = residualGreedy(mat(x, 4, 6), undefined, 4, { rankTolerance: 1e-12 });
    const ref = referenceGreedy(rows(x, 4, 6), [1, 1, 1, 1], 4, 1e-12);
    expect(Array.from(r.order)).toEqual(ref.order);
    const last = ref.scores[3]!;
    expect(last).toBeGreaterThan(0);
    expect(Math.abs(r.scores[3]! - last) / last).toBeLessThan(1e-3);
    expect(r.stats.recomputes).toBeGreaterThan(0);
  });

  it('leaves no tensors behind (kernel and composed paths)', async () => {
    const x = mat(randomMatrix(20, 8, 9), 20, 8);
    const dataIds = tf.engine().backend.numDataIds();
    // the kernel's own backend buffers (row blocks, a rescaled copy) are freed too
    const huge = mat(randomMatrix(20, 8, 1).map((v) => v * 2 ** 80), 20, 8);
    await expectNoLeak(() => residualGreedy(huge, undefined, 6));
    huge.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    await expectNoLeak(() => residualGreedy(x, new Float32Array(20).fill(1), 8));
    const w = tf.ones([20]) as tf.Tensor1D;
    await expectNoLeak(() => residualGreedy(x, w, 8, { energyTarget: 0.5 }));
    await expectNoLeak(() => expect(() => residualGreedy(x, w, 0)).toThrow());
    await expectNoLeak(() => energyCurve(x, [3, 1, 4]));
    unregisterKernels();
    try {
      await expectNoLeak(() => residualGreedy(x, undefined, 8));
      const huge = mat(randomMatrix(5, 3, 1).map((v) => v * 2 ** 80), 5, 3);
      await expectNoLeak(() => residualGreedy(huge, undefined, 2));
    } finally {
      registerKernels();
    }
  });
});

describe(`energyCurve [${backend}]`, () => {
  it('by hand: orthogonal tokens', () => {
    const x = mat([[1, 0, 0], [0, 2, 0], [0, 0, 1]]);
    const r = energyCurve(x, [1, 0]);
    expect(r.energy[0]).toBeCloseTo(4 / 6, 10);
    expect(r.energy[1]).toBeCloseTo(5 / 6, 10);
    expect(Array.from(r.residuals)).toEqual([4, 1]);
    expect(r.exhausted).toBe(false);
    expect(energyCurve(x, [2, 1, 0]).energy[2]).toBe(1);
  });

  it("reproduces the greedy's own curve when fed the greedy's order", () => {
    const n = 30;
    const d = 12;
    const x = mat(randomMatrix(n, d, 21), n, d);
    const w = Array.from({ length: n }, (_, i) => 0.1 + (i % 7) / 7);
    const g = residualGreedy(x, w, 12);
    const c = energyCurve(x, g.order, { weights: w });
    for (let t = 0; t < 12; t++) expect(c.energy[t]).toBeCloseTo(g.energy[t]!, 9);
  });

  it('a pick already in the span adds nothing; exhaustion gives exactly 1', () => {
    const x = mat([[1, 0], [2, 0], [0, 1], [1, 1]]);
    const r = energyCurve(x, [0, 1, 2, 3]);
    expect(r.energy[1]).toBeCloseTo(r.energy[0]!, 12);
    expect(r.energy[2]).toBe(1);
    expect(r.energy[3]).toBe(1);
  });

  it('rejects repeated or out-of-range indices', () => {
    const x = mat([[1, 0], [0, 1]]);
    expect(() => energyCurve(x, [0, 0])).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    expect(() => energyCurve(x, [2])).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    expect(() => energyCurve(x, [0.5])).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    expect(energyCurve(x, []).energy.length).toBe(0);
  });
});

describe(`residualGreedy input validation [${backend}]`, () => {
  const code = (c: string): unknown => expect.objectContaining({ code: c });
  const x = (): tf.Tensor2D => mat([[1, 2], [3, 4]]);

  it('rejects bad matrices', () => {
    expect(() => residualGreedy(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, undefined, 1)).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => residualGreedy(tf.zeros([1, 2, 2]) as unknown as tf.Tensor2D, undefined, 1)).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => residualGreedy([[1, 2]] as unknown as tf.Tensor2D, undefined, 1)).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => residualGreedy(tf.tensor2d([[1, 2]], [1, 2], 'int32'), undefined, 1)).toThrow(code('E_DTYPE'));
    expect(() => residualGreedy(tf.zeros<tf.Rank.R2>([0, 3]), undefined, 1)).toThrow(code('E_EMPTY_INPUT'));
    expect(() => residualGreedy(tf.zeros<tf.Rank.R2>([3, 0]), undefined, 1)).toThrow(code('E_EMPTY_INPUT'));
    expect(() => residualGreedy(mat([[1, NaN]]), undefined, 1)).toThrow(code('E_NON_FINITE'));
    expect(() => residualGreedy(mat([[1, 2], [Infinity, 0]]), undefined, 1)).toThrow(code('E_NON_FINITE'));
    const gone = x();
    gone.dispose();
    expect(() => residualGreedy(gone, undefined, 1)).toThrow(code('E_INVALID_OPTION'));
  });

  it('rejects bad k, budgets and options', () => {
    for (const k of [0, -1, 1.5, NaN, Infinity]) expect(() => residualGreedy(x(), undefined, k)).toThrow(code('E_BUDGET'));
    expect(() => residualGreedy(x(), undefined, 1, { energyTarget: 0 })).toThrow(code('E_BUDGET'));
    expect(() => residualGreedy(x(), undefined, 1, { energyTarget: 1.01 })).toThrow(code('E_BUDGET'));
    expect(() => residualGreedy(x(), undefined, 1, { energyTarget: 0.5, minPicks: 0 })).toThrow(code('E_BUDGET'));
    expect(() => residualGreedy(x(), undefined, 1, { rankTolerance: -1e-9 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => residualGreedy(x(), undefined, 1, { rankTolerance: 1 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => residualGreedy(x(), undefined, 1, { rowBlock: 0 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => residualGreedy(x(), undefined, 1, { rowBlock: 2.5 })).toThrow(code('E_INVALID_OPTION'));
  });

  it('rejects bad weights', () => {
    expect(() => residualGreedy(x(), [1], 1)).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => residualGreedy(x(), [1, NaN], 1)).toThrow(code('E_NON_FINITE'));
    expect(() => residualGreedy(x(), [1, -0.5], 1)).toThrow(code('E_INVALID_OPTION'));
    expect(() => residualGreedy(x(), tf.tensor1d([1, 1], 'int32'), 1)).toThrow(code('E_DTYPE'));
    expect(() => residualGreedy(x(), tf.ones([2, 1]) as unknown as tf.Tensor1D, 1)).toThrow(code('E_SHAPE_MISMATCH'));
  });

  it('k above the token count keeps every token', () => {
    const r = residualGreedy(x(), undefined, 10);
    expect(r.order.length).toBe(2);
    expect(r.energy[1]).toBe(1);
  });
});
