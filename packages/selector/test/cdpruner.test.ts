import { describe, expect, inject, it } from 'vitest';
import { expectClose } from '@resprune/test-backends';
import { select } from '../src/index.js';
import { randomRows } from './helpers.js';

const backend = inject('tfBackend');

const dot = (a: number[], b: number[]): number => a.reduce((s, v, k) => s + v * b[k]!, 0);
const unit = (a: number[]): number[] => {
  const s = Math.sqrt(dot(a, a));
  return s > 0 ? a.map((v) => v / s) : a.map(() => 0);
};

/** Relevance in float64 straight from docs/guide/method.md#1-relevance (max cosine, min–max with 1e-6). */
function relevance(visual: number[][], text: number[][]): number[] {
  const c = visual.map((v) => Math.max(...text.map((t) => dot(unit(v), unit(t)))));
  const lo = Math.min(...c);
  const hi = Math.max(...c);
  return c.map((ci) => (ci - lo + 1e-6) / (hi - lo + 1e-6));
}

/**
 * CDPruner's selection as its paper describes it: greedy MAP inference for the conditional DPP with
 * kernel L = diag(r)·S·diag(r), S the cosine matrix, by incremental Cholesky (fast greedy MAP):
 * d_i² starts at L_ii; each step takes j = argmax d_i² (ties lowest index), then for every other i
 * e_i = (L_ji − ⟨c_j, c_i⟩) / d_j, c_i ← [c_i, e_i], d_i² ← d_i² − e_i². Written here in float64,
 * independently of the library. Also returns the relative gap of each argmax (near-tie check).
 */
function cdprunerGreedyMap(visual: number[][], r: number[], k: number): { order: number[]; gains: number[]; gaps: number[] } {
  const phi = visual.map(unit);
  const n = phi.length;
  const L = (i: number, j: number): number => r[i]! * r[j]! * dot(phi[i]!, phi[j]!);
  const c: number[][] = Array.from({ length: n }, () => []);
  const d2 = Array.from({ length: n }, (_, i) => L(i, i));
  const chosen = new Array<boolean>(n).fill(false);
  const out = { order: [] as number[], gains: [] as number[], gaps: [] as number[] };
  while (out.order.length < k) {
    let j = -1;
    for (let i = 0; i < n; i++) if (!chosen[i] && (j < 0 || d2[i]! > d2[j]!)) j = i;
    const second = Math.max(0, ...d2.filter((_, i) => !chosen[i] && i !== j));
    out.gaps.push((d2[j]! - second) / d2[j]!);
    out.order.push(j);
    out.gains.push(d2[j]!);
    chosen[j] = true;
    const dj = Math.sqrt(d2[j]!);
    for (let i = 0; i < n; i++) {
      if (chosen[i]) continue;
      const e = (L(j, i) - dot(c[j]!, c[i]!)) / dj;
      c[i]!.push(e);
      d2[i] = d2[i]! - e * e;
    }
    c[j]!.push(dj);
  }
  return out;
}

describe(`CDPruner equivalence [${backend}]`, () => {
  it('α = 2, normalize l2 and the same r select exactly what CDPruner’s greedy MAP selects', () => {
    let checked = 0;
    for (let seed = 1; checked < 4 && seed < 200; seed++) {
      const n = 48;
      const d = 32;
      const k = 16;
      // heterogeneous norms: l2 must remove them, and r must matter
      const visual = randomRows(n, d, seed).map((row, i) => row.map((v) => Math.fround(v * (0.2 + (i % 5)))));
      const text = randomRows(3, d, seed + 1000);
      const r = relevance(visual, text);
      const ref = cdprunerGreedyMap(visual, r, k);
      // float32 arithmetic may legitimately break near-ties differently: only compare inputs whose
      // every greedy step wins by at least 0.1 %
      if (ref.gaps.some((g) => g < 1e-3)) continue;
      const got = select(visual, { keep: k, text, alpha: 2, normalize: 'l2' });
      expectClose(got.relevance, r, 1e-5);
      expect(Array.from(got.order)).toEqual(ref.order);
      expect(Array.from(got.kept)).toEqual([...ref.order].sort((a, b) => a - b));
      expectClose(got.scores, ref.gains, 1e-4);
      checked++;
    }
    expect(checked).toBe(4);
  });
});
