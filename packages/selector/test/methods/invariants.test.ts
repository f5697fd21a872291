import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { expectNoLeak } from '@resprune/test-backends';
import { methods, PEER_METHODS, selectWith, type MatrixInput, type SelectionResult } from '../../src/index.js';
import { code, randomRows } from '../helpers.js';

const backend = inject('tfBackend');
const ALL = ['resprune', ...PEER_METHODS.map((m) => m.name)];
/** Methods whose pick order is nested (a prefix is the method's own smaller selection). */
const NESTED = ['resprune', 'random', 'divprune', 'cdpruner', 'mmtok'];
const NOT_NESTED = ['uniform', 'dart'];

function checkResult(r: SelectionResult, method: string, n: number, k: number): void {
  expect(r.method).toBe(method);
  expect(r.n).toBe(n);
  expect(r.kept.length).toBe(k);
  expect(r.order.length).toBe(k);
  expect(r.scores.length).toBe(k);
  expect(r.energy.length).toBe(k);
  for (let t = 1; t < k; t++) expect(r.kept[t]!).toBeGreaterThan(r.kept[t - 1]!);
  expect(Array.from(r.order).sort((a, b) => a - b)).toEqual(Array.from(r.kept));
  for (const i of r.kept) expect(i >= 0 && i < n).toBe(true);
  for (const s of r.scores) expect(Number.isFinite(s)).toBe(true);
  for (let t = 0; t < k; t++) {
    expect(r.energy[t]!).toBeGreaterThanOrEqual(t === 0 ? 0 : r.energy[t - 1]!);
    expect(r.energy[t]!).toBeLessThanOrEqual(1);
  }
}

describe(`peer methods: shared invariants [${backend}]`, () => {
  it('all six peers are registered next to resprune', () => {
    expect(methods.names()).toEqual(['cdpruner', 'dart', 'divprune', 'mmtok', 'random', 'resprune', 'uniform']);
    for (const m of PEER_METHODS) expect(methods.get(m.name)).toBe(m);
  });

  for (const name of ALL) {
    it(`${name}: count, order, distinctness and range for every budget form, with and without text`, () => {
      const n = 37;
      const visual = randomRows(n, 9, 11);
      for (const text of [undefined, randomRows(2, 9, 12)]) {
        const t = text === undefined ? {} : { text };
        for (const [budget, k] of [[{ keep: 1 }, 1], [{ keep: 7 }, 7], [{ keep: n }, n], [{ keep: n + 5 }, n], [{ ratio: 0.25 }, 9]] as const) {
          checkResult(selectWith(name, visual, { ...budget, ...t }), name, n, k);
        }
      }
    });

    it(`${name}: deterministic (a seed for random) and the same for every input form`, () => {
      const rows = randomRows(20, 6, 5);
      const a = selectWith(name, rows, { keep: 8, text: randomRows(2, 6, 6) });
      const b = selectWith(name, { data: Float32Array.from(rows.flat()), shape: [20, 6] }, { keep: 8, text: randomRows(2, 6, 6) });
      const tensor = tf.tensor2d(rows);
      const c = selectWith(name, tensor, { keep: 8, text: tf.tensor2d(randomRows(2, 6, 6)) });
      for (const other of [b, c]) {
        expect(Array.from(other.order)).toEqual(Array.from(a.order));
        expect(Array.from(other.scores)).toEqual(Array.from(a.scores));
      }
    });

    it(`${name}: degenerate inputs (all-zero, duplicated rows, N = 1, d = 1) give valid picks`, () => {
      const zeros = Array.from({ length: 6 }, () => [0, 0, 0]);
      checkResult(selectWith(name, zeros, { keep: 4 }), name, 6, 4);
      const twins = [[1, 2], [1, 2], [1, 2], [3, 1], [3, 1]];
      checkResult(selectWith(name, twins, { keep: 5, text: [[1, 0]] }), name, 5, 5);
      checkResult(selectWith(name, [[0.5, -1]], { keep: 3, text: [[1, 1]] }), name, 1, 1);
      checkResult(selectWith(name, [[1], [-2], [3], [0]], { keep: 2 }), name, 4, 2);
    });

    it(`${name}: leaves no tensors behind and does not dispose its inputs`, async () => {
      const v = tf.tensor2d(randomRows(25, 5, 8));
      const t = tf.tensor2d(randomRows(3, 5, 9));
      await expectNoLeak(() => selectWith(name, v, { keep: 9, text: t, normalize: 'center' }));
      expect(v.isDisposed || t.isDisposed).toBe(false);
    });
  }

  it('random: different seeds give different samples; the same seed the same one', () => {
    const rows = randomRows(40, 3, 1);
    const a = Array.from(selectWith('random', rows, { keep: 10, seed: 1 }).order);
    expect(Array.from(selectWith('random', rows, { keep: 10, seed: 1 }).order)).toEqual(a);
    expect(Array.from(selectWith('random', rows, { keep: 10, seed: 2 }).order)).not.toEqual(a);
  });

  for (const name of NESTED) {
    it(`${name}: an energy budget keeps the prefix of the full pick order that first reaches τ`, () => {
      const rows = randomRows(30, 6, 21);
      const full = selectWith(name, rows, { keep: 30 });
      for (const tau of [0.5, 0.9, 0.99]) {
        const r = selectWith(name, rows, { energy: tau });
        const k = r.order.length;
        expect(Array.from(r.order)).toEqual(Array.from(full.order.slice(0, k)));
        expect(r.energy[k - 1]!).toBeGreaterThanOrEqual(tau);
        if (k > 1) expect(r.energy[k - 2]!).toBeLessThan(tau);
        expect(selectWith(name, rows, { energy: tau, minKeep: k + 2 }).order.length).toBe(k + 2);
        expect(selectWith(name, rows, { energy: tau, maxKeep: Math.max(1, k - 1) }).order.length).toBe(Math.max(1, k - 1));
      }
    });
  }

  for (const name of NOT_NESTED) {
    it(`${name}: an energy budget is refused with E_BUDGET (its selections are not nested)`, () => {
      expect(() => selectWith(name, randomRows(30, 6, 21), { energy: 0.9 })).toThrow(code('E_BUDGET'));
      expect(() => selectWith(name, randomRows(30, 6, 21), { energy: 0.9 })).toThrow(/not supported.*keep or ratio/);
    });
  }
});

describe(`peer methods: bad input [${backend}]`, () => {
  const V = randomRows(12, 4, 3);
  for (const name of ALL) {
    it(`${name}: the shared bad-input matrix`, () => {
      const run = (visual: unknown, options: Record<string, unknown>): SelectionResult => selectWith(name, visual as MatrixInput, options);
      expect(() => run([[1, NaN], [0, 1]], { keep: 1 })).toThrow(code('E_NON_FINITE'));
      expect(() => run(tf.tensor2d([[1, 2], [Infinity, 4]]), { keep: 1 })).toThrow(code('E_NON_FINITE'));
      expect(() => run(V, { keep: 1, text: [[0, 0, NaN, 1]] })).toThrow(code('E_NON_FINITE'));
      expect(() => run([], { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
      expect(() => run({ data: [], shape: [0, 4] }, { keep: 1 })).toThrow(code('E_EMPTY_INPUT'));
      expect(() => run([[1, 2], [3]], { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
      expect(() => run(tf.zeros([2, 2, 2]), { keep: 1 })).toThrow(code('E_SHAPE_MISMATCH'));
      expect(() => run(V, { keep: 1, text: [[1, 2, 3]] })).toThrow(code('E_SHAPE_MISMATCH'));
      expect(() => run(tf.tensor2d([[1, 2]], [1, 2], 'int32'), { keep: 1 })).toThrow(code('E_DTYPE'));
      expect(() => run(V, {})).toThrow(code('E_BUDGET'));
      expect(() => run(V, { keep: 0 })).toThrow(code('E_BUDGET'));
      expect(() => run(V, { keep: 2.5 })).toThrow(code('E_BUDGET'));
      expect(() => run(V, { ratio: 1.5 })).toThrow(code('E_BUDGET'));
      expect(() => run(V, { keep: 2, ratio: 0.5 })).toThrow(code('E_BUDGET'));
      expect(() => run(V, { energy: 0 })).toThrow(code('E_BUDGET'));
      expect(() => run(V, { keep: 2, nonsense: 1 })).toThrow(code('E_INVALID_OPTION'));
      expect(() => run(V, { keep: 2, alpha: -1 })).toThrow(code('E_INVALID_OPTION'));
      expect(() => run(V, { keep: 2, normalize: 'l1' })).toThrow(code('E_INVALID_OPTION'));
    });
  }

  it('method-specific options are checked, and belong to their method only', () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['random', { seed: -1 }, 'E_INVALID_OPTION'],
      ['random', { seed: 1.5 }, 'E_INVALID_OPTION'],
      ['random', { seed: 2 ** 32 }, 'E_INVALID_OPTION'],
      ['random', { seed: '3' }, 'E_INVALID_OPTION'],
      ['uniform', { grid: { rows: 3, cols: 3 } }, 'E_SHAPE_MISMATCH'],
      ['uniform', { grid: { rows: 0, cols: 12 } }, 'E_INVALID_OPTION'],
      ['uniform', { grid: [3, 4] }, 'E_INVALID_OPTION'],
      ['uniform', { grid: '3x4' }, 'E_INVALID_OPTION'],
      ['cdpruner', { relevance: 'negative' }, 'E_INVALID_OPTION'],
      ['cdpruner', { relevance: 1 }, 'E_INVALID_OPTION'],
      ['dart', { imagePivots: -1 }, 'E_INVALID_OPTION'],
      ['dart', { textPivots: 1.5 }, 'E_INVALID_OPTION'],
      ['dart', { imagePivots: 0 }, 'E_INVALID_OPTION'], // no text: no pivot at all
      ['mmtok', { temperature: 0 }, 'E_INVALID_OPTION'],
      ['mmtok', { temperature: -0.1 }, 'E_INVALID_OPTION'],
      ['mmtok', { temperature: Number.NaN }, 'E_INVALID_OPTION'],
      ['mmtok', { temperature: Infinity }, 'E_INVALID_OPTION'],
      ['mmtok', { textWeight: 1.5 }, 'E_INVALID_OPTION'],
      ['mmtok', { textWeight: -0.1 }, 'E_INVALID_OPTION'],
      ['divprune', { seed: 1 }, 'E_INVALID_OPTION'],
      ['resprune', { grid: { rows: 3, cols: 4 } }, 'E_INVALID_OPTION'],
      ['mmtok', { relevance: 'paper' }, 'E_INVALID_OPTION'],
    ];
    for (const [name, opts, c] of bad) {
      expect(() => selectWith(name, V, { keep: 3, ...opts }), `${name} ${JSON.stringify(opts)}`).toThrow(code(c));
    }
    expect(() => selectWith('uniform', V, { keep: 3, grid: { rows: 3, cols: 3 } })).toThrow(/grid 3×3 has 9 cells but there are 12 tokens/);
    expect(() => selectWith('mmtok', V, { keep: 3, temperature: 0 })).toThrow(/option 'temperature' must be a finite number in \(0, ∞\), got 0/);
    expect(() => selectWith('no-such-method', V, { keep: 3 })).toThrow(code('E_UNKNOWN_METHOD'));
    expect(() => selectWith('no-such-method', V, { keep: 3 })).toThrow(/registered: cdpruner, dart, divprune, mmtok, random, resprune, uniform/);
  });
});

describe(`pairwise methods refuse token counts that ask for N² work [${backend}]`, () => {
  it('divprune and mmtok: more than MAX_PAIRWISE_TOKENS tokens is E_LIMIT before any tensor exists; linear methods run', async () => {
    const { MAX_PAIRWISE_TOKENS } = await import('../../src/index.js');
    const n = MAX_PAIRWISE_TOKENS + 1;
    const visual = { data: new Float32Array(n * 2).map((_, i) => Math.sin(i)), shape: [n, 2] as const };
    for (const method of ['divprune', 'mmtok']) {
      const before = tf.memory().numTensors;
      expect(() => selectWith(method, visual, { keep: 4 })).toThrow(expect.objectContaining({ code: 'E_LIMIT' }));
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(selectWith('random', visual, { keep: 4 }).kept).toHaveLength(4);
  });
});
