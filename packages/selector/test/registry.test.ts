import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { expectNoLeak } from '@resprune/test-backends';
import { MethodRegistry, methods, select, selectWith, type SelectionMethod } from '../src/index.js';
import { code, randomRows } from './helpers.js';

const backend = inject('tfBackend');

/** A peer that keeps tokens in reverse index order (no energy of its own). */
const reverse: SelectionMethod = {
  name: 'test-reverse',
  description: 'reverse index order (test)',
  optionNames: ['offset'],
  select: ({ n, count, options }) => {
    const offset = typeof options['offset'] === 'number' ? options['offset'] : 0;
    const order = Int32Array.from({ length: count }, (_, t) => n - 1 - t - offset);
    return { order, scores: Float64Array.from(order, (i) => i) };
  },
};

afterEach(() => {
  methods.unregister('test-reverse');
  methods.unregister('test-broken');
});

describe(`method registry [${backend}]`, () => {
  it('ships resprune; select equals selectWith("resprune")', () => {
    expect(methods.names()).toContain('resprune');
    const rows = randomRows(10, 4, 1);
    expect(Array.from(select(rows, { keep: 3 }).order)).toEqual(Array.from(selectWith('resprune', rows, { keep: 3 }).order));
  });

  it('a peer gets the shared checks, kept sorting and the generic unit-weight energy curve', () => {
    methods.register(reverse);
    const rows = [
      [1, 0],
      [0, 2],
      [3, 0],
    ];
    const r = selectWith('test-reverse', rows, { keep: 2 });
    expect(r.method).toBe('test-reverse');
    expect(Array.from(r.order)).toEqual([2, 1]);
    expect(Array.from(r.kept)).toEqual([1, 2]);
    expect(Array.from(r.scores)).toEqual([2, 1]);
    // unit weights: ‖x_2‖² + ‖P x_0‖² = 9 + 1 of 14, then everything
    expect(r.energy[0]).toBeCloseTo(10 / 14, 12);
    expect(r.energy[1]).toBe(1);
    expect(Array.from(selectWith('test-reverse', rows, { keep: 1, offset: 1 }).order)).toEqual([1]);
    expect(() => selectWith('test-reverse', rows, { keep: 1, seed: 3 })).toThrow(/valid options: .*offset/);
  });

  it('energy budgets truncate a peer at the smallest K whose generic curve reaches τ', () => {
    methods.register(reverse);
    const rows = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 5],
    ];
    // reverse order: token 2 first captures 25 / 27
    expect(selectWith('test-reverse', rows, { energy: 0.9 }).kept.length).toBe(1);
    expect(selectWith('test-reverse', rows, { energy: 0.95 }).kept.length).toBe(2);
    expect(selectWith('test-reverse', rows, { energy: 0.9, minKeep: 2 }).kept.length).toBe(2);
  });

  it('a method breaking its contract is an internal error', () => {
    methods.register({ name: 'test-broken', description: 'picks token 0 twice', select: ({ count }) => ({ order: new Int32Array(count), scores: new Float64Array(count) }) });
    expect(() => selectWith('test-broken', randomRows(4, 2, 1), { keep: 2 })).toThrow(code('E_INTERNAL'));
    methods.register(
      { name: 'test-broken', description: 'too few', select: () => ({ order: new Int32Array(0), scores: new Float64Array(0) }) },
      { override: true },
    );
    expect(() => selectWith('test-broken', randomRows(4, 2, 1), { keep: 2 })).toThrow(/expected 2 picks, got 0/);
  });

  it('registration rules', () => {
    const reg = new MethodRegistry();
    reg.register(reverse);
    expect(() => reg.register(reverse)).toThrow(code('E_INVALID_OPTION'));
    reg.register(reverse, { override: true });
    expect(() => reg.register({ ...reverse, name: 'Bad Name' })).toThrow(code('E_INVALID_OPTION'));
    expect(reg.has('test-reverse')).toBe(true);
    expect(() => reg.get('x')).toThrow(code('E_UNKNOWN_METHOD'));
    expect(reg.unregister('test-reverse')).toBe(true);
    expect(reg.names()).toEqual([]);
  });

  it('leaves no tensors behind for peers either', async () => {
    methods.register(reverse);
    const t = tf.tensor2d(randomRows(8, 3, 2));
    await expectNoLeak(() => selectWith('test-reverse', t, { energy: 0.5, normalize: 'l2' }));
  });
});
