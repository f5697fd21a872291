import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { expectClose, expectNoLeak } from '@resprune/test-backends';
import { CosineMaxRelevance, cosineMaxRelevance, hasKernel, registerKernels, unregisterKernels } from '../src/index.js';
import { randomMatrix, rows } from './reference.js';

const backend = inject('tfBackend');
beforeAll(() => registerKernels());
const code = (c: string): unknown => expect.objectContaining({ code: c });

/** Plain float64 max-over-text cosine, zero rows → 0. */
function reference(v: number[][], t: number[][]): number[] {
  const norm = (a: number[]): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  return v.map((vi) =>
    Math.max(...t.map((tm) => (norm(vi) * norm(tm) > 0 ? vi.reduce((s, x, k) => s + x * tm[k]!, 0) / (norm(vi) * norm(tm)) : 0))),
  );
}

describe(`cosineMaxRelevance [${backend}]`, () => {
  it('uses the float64 kernel on cpu only (wasm composes XNNPACK ops)', () => {
    expect(hasKernel(CosineMaxRelevance)).toBe(backend === 'cpu');
  });

  it('by hand: max over text rows, scale-invariant', async () => {
    const v = tf.tensor2d([[1, 0], [0, 3], [-2, 0]]);
    const t = tf.tensor2d([[1, 1], [0, -5]]);
    // row 2: cos with (1, 1) is −√½, with (0, −5) it is 0 → max 0
    expectClose(await cosineMaxRelevance(v, t).data(), [Math.SQRT1_2, Math.SQRT1_2, 0]);
    // every cosine negative: the max is negative
    expectClose(await cosineMaxRelevance(tf.tensor2d([[-1, -1]]), tf.tensor2d([[1, 1], [2, 0]])).data(), [-Math.SQRT1_2]);
  });

  it('zero-norm rows have cosine 0', async () => {
    const v = tf.tensor2d([[0, 0], [1, 0]]);
    expectClose(await cosineMaxRelevance(v, tf.tensor2d([[1, 0]])).data(), [0, 1]);
    // a zero text row contributes cos 0, which wins over negative cosines
    expectClose(await cosineMaxRelevance(tf.tensor2d([[-1, 0]]), tf.tensor2d([[1, 0], [0, 0]])).data(), [0]);
  });

  it('matches a float64 reference with and without the kernel, even for huge or tiny values', async () => {
    const n = 23;
    const m = 4;
    const d = 17;
    const v = randomMatrix(n, d, 3);
    const t = randomMatrix(m, d, 4);
    const want = reference(rows(v, n, d), rows(t, m, d));
    for (const s of [1, 2 ** 70, 2 ** -70]) {
      const vt = tf.tensor2d(v.map((x) => x * s), [n, d]);
      const tt = tf.tensor2d(t, [m, d]);
      expectClose(await cosineMaxRelevance(vt, tt).data(), want, 1e-5);
      unregisterKernels();
      try {
        expectClose(await cosineMaxRelevance(vt, tt).data(), want, 1e-5);
      } finally {
        registerKernels();
      }
    }
  });

  it('validates its inputs', () => {
    const v = tf.tensor2d([[1, 2]]);
    expect(() => cosineMaxRelevance(v, tf.tensor2d([[1, 2, 3]]))).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => cosineMaxRelevance(v, tf.zeros<tf.Rank.R2>([0, 2]))).toThrow(code('E_EMPTY_INPUT'));
    expect(() => cosineMaxRelevance(v, tf.tensor2d([[1, Infinity]]))).toThrow(code('E_NON_FINITE'));
    expect(() => cosineMaxRelevance(tf.tensor2d([[NaN, 1]]), v)).toThrow(code('E_NON_FINITE'));
    expect(() => cosineMaxRelevance(v, tf.tensor2d([[1, 2]], [1, 2], 'int32'))).toThrow(code('E_DTYPE'));
    expect(() => cosineMaxRelevance(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, v)).toThrow(code('E_SHAPE_MISMATCH'));
  });

  it('leaves no tensors behind', async () => {
    const v = tf.tensor2d(randomMatrix(8, 5, 1), [8, 5]);
    const t = tf.tensor2d(randomMatrix(2, 5, 2), [2, 5]);
    await expectNoLeak(() => cosineMaxRelevance(v, t).dispose());
    unregisterKernels();
    try {
      await expectNoLeak(() => cosineMaxRelevance(v, t).dispose());
    } finally {
      registerKernels();
    }
  });
});
