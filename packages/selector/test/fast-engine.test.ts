import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectError, expectNoLeak } from '@resprune/test-backends';
import { activeFastEngine, createFastEngine, registerFastKernels, unregisterFastKernels, type FastEngine } from '@resprune/linalg';
import { select, selectWith, type SelectionResult, type SelectOptions, type MatrixInput } from '../src/index.js';
import { randomRows } from './helpers.js';

const backend = inject('tfBackend');
let engine: FastEngine;

beforeAll(async () => {
  engine = await createFastEngine({ mode: 'threads', threads: 2, threadsFrom: 0, warmUp: false });
});
afterAll(async () => {
  unregisterFastKernels();
  await engine.dispose();
});

/** The selection on the tfjs path with the plain kernels. */
function onPlainKernels(visual: MatrixInput, options: SelectOptions): SelectionResult {
  unregisterFastKernels();
  expect(activeFastEngine()).toBeUndefined();
  return select(visual, options);
}

describe(`select() on the fast engine [${backend}]`, () => {
  const n = 150;
  const d = 48;
  const flat = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());
  const visualRows = randomRows(n, d, 21);
  const textRows = randomRows(3, d, 22);
  const visual = { data: flat(visualRows), shape: [n, d] as const };
  const text = { data: flat(textRows), shape: [3, d] as const };
  const cases: Array<[string, SelectOptions]> = [
    ['keep, text, alpha 1', { keep: 40, text }],
    ['ratio, l2, alpha 2 (CDPruner-like)', { ratio: 0.2, text, alpha: 2, normalize: 'l2' }],
    ['energy budget, centred, no text', { energy: 0.8, minKeep: 5, maxKeep: 90, normalize: 'center' }],
    ['alpha 0 with text (relevance still reported)', { keep: 25, text, alpha: 0 }],
  ];
  for (const [name, options] of cases) {
    it(`gives the tfjs path's selection: ${name}`, async () => {
      const plain = onPlainKernels(visual, options);
      await registerFastKernels(engine);
      expect(activeFastEngine()).toBe(engine);
      const fast = await expectNoLeak(() => select(visual, options));
      expect(Array.from(fast.order)).toEqual(Array.from(plain.order));
      expect(Array.from(fast.kept)).toEqual(Array.from(plain.kept));
      for (let s = 0; s < plain.order.length; s++) {
        expect(Math.abs(fast.energy[s]! - plain.energy[s]!)).toBeLessThan(1e-5);
        expect(Math.abs(fast.scores[s]! / plain.scores[s]! - 1)).toBeLessThan(1e-4);
      }
      for (let i = 0; i < n; i++) expect(Math.abs(fast.relevance[i]! - plain.relevance[i]!)).toBeLessThan(1e-5);
      // the same arrays as tensors and as nested rows take the same path
      const vt = tf.tensor2d(visual.data, [n, d]);
      try {
        expect(Array.from(select(vt, options).order)).toEqual(Array.from(fast.order));
      } finally {
        vt.dispose();
      }
      expect(Array.from(select(visualRows, options).order)).toEqual(Array.from(fast.order));
    });
  }

  it('checks input exactly as the tfjs path does (NaN, text width) and leaves the caller\'s array alone', async () => {
    await registerFastKernels(engine);
    const bad = visual.data.slice();
    bad[5 * d + 7] = Number.NaN;
    expectError(() => select({ data: bad, shape: [n, d] }, { keep: 10 }), 'E_NON_FINITE', /visual\[5\]\[7\] is NaN/);
    expectError(() => select(visual, { keep: 10, text: { data: new Float32Array(2 * (d + 1)), shape: [2, d + 1] } }), 'E_SHAPE_MISMATCH', /text must have the visual feature size/);
    expectError(() => select(visual, { keep: 0 }), 'E_BUDGET', /keep/);
    const copy = visual.data.slice();
    select(visual, { keep: 10, text, normalize: 'center' });
    expect(visual.data).toEqual(copy);
  });

  it('is used only for resprune: peers keep their own code', async () => {
    await registerFastKernels(engine);
    const r = selectWith('uniform', visual, { keep: 10 });
    expect(r.method).toBe('uniform');
    expect(r.kept.length).toBe(10);
  });
});
