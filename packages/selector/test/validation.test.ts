import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { resolveBudget, select, selectWith, type MatrixInput, type SelectOptions } from '../src/index.js';
import { code } from './helpers.js';

const backend = inject('tfBackend');
const V = [
  [1, 0],
  [0, 1],
  [1, 1],
];

describe(`select input validation [${backend}]`, () => {
  it('visual: NaN / Infinity anywhere, in every input form', () => {
    expect(() => select([[1, NaN], [0, 1]], { keep: 1 })).toThrow(code('E_NON_FINITE'));
    expect(() => select({ data: [1, 2, Infinity, 4], shape: [2, 2] }, { keep: 1 })).toThrow(code('E_NON_FINITE'));
    expect(() => select({ data: Float64Array.of(1, 2, 3, 1e300), shape: [2, 2] }, { keep: 1 })).toThrow(/outside float32 range/);
    expect(() => select(tf.tensor2d([[1, 2], [-Infinity, 4]]), { keep: 1 })).toThrow(code('E_NON_FINITE'));
    expect(() => select([[1, 2]], { keep: 1, text: [[NaN, 1]] })).toThrow(code('E_NON_FINITE'));
  });

  it('visual: empty (N = 0 or d = 0)', () => {
    expect(() => select([], { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => select([[], []], { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => select({ data: [], shape: [0, 4] }, { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => select(tf.zeros<tf.Rank.R2>([0, 4]), { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => select(tf.zeros<tf.Rank.R2>([4, 0]), { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
  });

  it('visual: wrong rank, shape or type', () => {
    expect(() => select(tf.tensor1d([1, 2]) as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select(tf.zeros([1, 2, 2]) as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select([1, 2, 3] as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select([[[1]]] as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select([[1, 2], [3]], { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select({ data: [1, 2, 3], shape: [2, 2] }, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select({ data: [1, 2], shape: [2] as unknown as [number, number] }, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select('tokens' as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select(null as unknown as MatrixInput, { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
  });

  it('visual: wrong dtype (int32 tensor, Int32Array data, strings)', () => {
    expect(() => select(tf.tensor2d([[1, 2]], [1, 2], 'int32'), { keep: 1 })).toThrow(code('E_DTYPE'));
    expect(() => select({ data: Int32Array.of(1, 2) as unknown as Float32Array, shape: [1, 2] }, { keep: 1 })).toThrow(code('E_DTYPE'));
    expect(() => select([['1', 2]] as unknown as number[][], { keep: 1 })).toThrow(code('E_DTYPE'));
    expect(() => select(V, { keep: 1, text: tf.tensor2d([[1, 2]], [1, 2], 'int32') })).toThrow(code('E_DTYPE'));
  });

  it('text: feature size must match visual', () => {
    expect(() => select(V, { keep: 1, text: [[1, 2, 3]] })).toThrow(code('E_SHAPE_MISMATCH'));
    expect(() => select(V, { keep: 1, text: tf.tensor2d([[1, 2, 3]]) })).toThrow(/visual is \[3, 2\], text is \[1, 3\]/);
  });

  it('budgets out of range, missing, or two at once', () => {
    const bad: SelectOptions[] = [
      {},
      { keep: 0 },
      { keep: -3 },
      { keep: 1.5 },
      { keep: NaN },
      { ratio: 0 },
      { ratio: 1.2 },
      { ratio: -0.5 },
      { ratio: NaN },
      { energy: 0 },
      { energy: 1.5 },
      { energy: -1 },
      { energy: 0.5, minKeep: 5, maxKeep: 2 },
      { energy: 0.5, minKeep: 0 },
      { energy: 0.5, maxKeep: 2.5 },
      { keep: 2, ratio: 0.5 },
      { ratio: 0.5, energy: 0.5 },
      { keep: 2, minKeep: 1 },
      { ratio: 0.5, maxKeep: 2 },
    ];
    for (const options of bad) expect(() => select(V, options), JSON.stringify(options)).toThrow(code('E_BUDGET'));
    expect(() => select(V, { keep: 2, ratio: 0.5 })).toThrow(/got keep, ratio/);
    expect(() => select(V, undefined as unknown as SelectOptions)).toThrow(code('E_INVALID_OPTION'));
  });

  it('options: unknown normalize, negative or non-finite alpha, bad rankTolerance, unknown keys', () => {
    expect(() => select(V, { keep: 1, normalize: 'L2' as 'l2' })).toThrow(code('E_INVALID_OPTION'));
    expect(() => select(V, { keep: 1, normalize: 'L2' as 'l2' })).toThrow(/'none', 'l2', 'center'/);
    expect(() => select(V, { keep: 1, alpha: -1 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => select(V, { keep: 1, alpha: NaN })).toThrow(code('E_INVALID_OPTION'));
    expect(() => select(V, { keep: 1, alpha: Infinity })).toThrow(code('E_INVALID_OPTION'));
    expect(() => select(V, { keep: 1, rankTolerance: -0.1 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => select(V, { keep: 1, rankTolerance: 1 })).toThrow(code('E_INVALID_OPTION'));
    expect(() => selectWith('resprune', V, { keep: 1, kepe: 3 })).toThrow(/unknown option 'kepe'/);
    expect(() => selectWith('resprune', V, { keep: 1, seed: undefined })).not.toThrow(); // undefined keys are ignored
  });

  it('unknown method lists the registered ones', () => {
    expect(() => selectWith('nope', V, { keep: 1 })).toThrow(code('E_UNKNOWN_METHOD'));
    expect(() => selectWith('nope', V, { keep: 1 })).toThrow(/registered: .*resprune/);
  });
});

describe('resolveBudget', () => {
  it('resolves each kind', () => {
    expect(resolveBudget(576, { keep: 128 })).toEqual({ kind: 'count', count: 128, from: 'keep' });
    expect(resolveBudget(576, { keep: 1000 })).toEqual({ kind: 'count', count: 576, from: 'keep' });
    expect(resolveBudget(576, { ratio: 0.25 })).toEqual({ kind: 'count', count: 144, from: 'ratio' });
    expect(resolveBudget(5, { ratio: 0.5 })).toEqual({ kind: 'count', count: 3, from: 'ratio' }); // 2.5 rounds up
    expect(resolveBudget(5, { ratio: 0.05 })).toEqual({ kind: 'count', count: 1, from: 'ratio' }); // at least 1
    expect(resolveBudget(576, { energy: 0.9 })).toEqual({ kind: 'energy', target: 0.9, minKeep: 1, maxKeep: 576 });
    expect(resolveBudget(100, { energy: 1, minKeep: 200, maxKeep: 300 })).toEqual({ kind: 'energy', target: 1, minKeep: 100, maxKeep: 100 });
    expect(resolveBudget(100, { energy: 0.5, minKeep: 10, maxKeep: 20 })).toEqual({ kind: 'energy', target: 0.5, minKeep: 10, maxKeep: 20 });
  });

  it('rejects bad token counts and budgets', () => {
    expect(() => resolveBudget(0, { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => resolveBudget(2.5, { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
    expect(() => resolveBudget(10, null as unknown as SelectOptions)).toThrow(code('E_BUDGET'));
    expect(() => resolveBudget(10, { keep: '3' as unknown as number })).toThrow(code('E_BUDGET'));
  });
});
