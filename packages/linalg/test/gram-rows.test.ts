import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { expectClose, expectNoLeak } from '@resprune/test-backends';
import { GramRows, gramRows, hasKernel, registerKernels, unregisterKernels } from '../src/index.js';
import { randomMatrix, rows } from './reference.js';

const backend = inject('tfBackend');
beforeAll(() => registerKernels());
const code = (c: string): unknown => expect.objectContaining({ code: c });

describe(`gramRows [${backend}]`, () => {
  it('dispatches to the custom kernel on cpu and wasm', () => {
    expect(hasKernel(GramRows)).toBe(backend === 'cpu' || backend === 'wasm');
  });

  it('by hand', async () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const g = gramRows(x, [2, 0]);
    expect(g.shape).toEqual([2, 3]);
    expectClose(await g.data(), [17, 39, 61, 5, 11, 17]);
    expect(gramRows(x, []).shape).toEqual([0, 3]);
    expectClose(await gramRows(x, tf.tensor1d([1], 'int32')).data(), [11, 25, 39]);
  });

  it('matches a plain float64 Gram row, with or without the kernel', async () => {
    const n = 37;
    const d = 29;
    const data = randomMatrix(n, d, 4);
    const x = tf.tensor2d(data, [n, d]);
    const r = rows(data, n, d);
    const pick = [5, 0, 36, 5, 17];
    const want = pick.flatMap((j) => r.map((row) => row.reduce((s, v, k) => s + v * r[j]![k]!, 0)));
    expectClose(await gramRows(x, pick).data(), want, 1e-4 * 40);
    unregisterKernels();
    try {
      expectClose(await gramRows(x, pick).data(), want, 1e-4 * 40);
    } finally {
      registerKernels();
    }
  });

  it('a row has the same bits whether computed alone or in a block', () => {
    const n = 50;
    const d = 70;
    const x = tf.tensor2d(randomMatrix(n, d, 8), [n, d]);
    const block = [3, 9, 27, 49, 0, 12, 13, 14, 15, 16, 40];
    const together = gramRows(x, block).dataSync();
    block.forEach((j, b) => {
      const alone = gramRows(x, [j]).dataSync();
      expect(Array.from(together.slice(b * n, (b + 1) * n))).toEqual(Array.from(alone));
    });
  });

  it('validates its inputs', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    expect(() => gramRows(x, [2])).toThrow(code('E_INVALID_OPTION'));
    expect(() => gramRows(x, [-1])).toThrow(code('E_INVALID_OPTION'));
    expect(() => gramRows(x, [0.5])).toThrow(code('E_INVALID_OPTION'));
    expect(() => gramRows(x, tf.tensor1d([0], 'float32') as tf.Tensor1D)).toThrow(code('E_DTYPE'));
    expect(() => gramRows(x, 'a' as unknown as number[])).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => gramRows(tf.tensor2d([[1, NaN]]), [0])).toThrow(code('E_NON_FINITE'));
    expect(() => gramRows(tf.tensor2d([[1, 2]], [1, 2], 'int32'), [0])).toThrow(code('E_DTYPE'));
    expect(() => gramRows(tf.zeros<tf.Rank.R2>([0, 2]), [])).toThrow(code('E_EMPTY_INPUT'));
    expect(() => gramRows(tf.zeros([2]) as unknown as tf.Tensor2D, [0])).toThrow(code('E_SHAPE_MISMATCH'));
  });

  it('leaves no tensors behind', async () => {
    const x = tf.tensor2d(randomMatrix(10, 6, 2), [10, 6]);
    await expectNoLeak(() => gramRows(x, [1, 2]).dispose());
    await expectNoLeak(() => expect(() => gramRows(x, [10])).toThrow());
  });
});
