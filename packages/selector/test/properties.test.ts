import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { select, type Normalize } from '../src/index.js';
import { randomRows, rng } from './helpers.js';

const backend = inject('tfBackend');
const RUNS = { numRuns: 40 };

/** Random problem sizes and settings; matrices come from a seeded Gaussian (no exact ties). */
const problem = fc.record({
  n: fc.integer({ min: 1, max: 14 }),
  d: fc.integer({ min: 1, max: 8 }),
  k: fc.integer({ min: 1, max: 16 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  words: fc.integer({ min: 0, max: 3 }),
  alpha: fc.constantFrom(0, 0.5, 1, 2),
  normalize: fc.constantFrom<Normalize>('none', 'l2', 'center'),
});

describe(`select properties [${backend}]`, () => {
  it('|kept| = min(K, N); kept ascending and distinct; order a permutation of kept; energy non-decreasing in [0, 1]', () => {
    fc.assert(
      fc.property(problem, ({ n, d, k, seed, words, alpha, normalize }) => {
        const visual = randomRows(n, d, seed);
        const text = randomRows(words, d, seed + 1);
        const r = select(visual, { keep: k, text, alpha, normalize });
        const K = Math.min(k, n);
        expect(r.kept.length).toBe(K);
        for (let t = 1; t < K; t++) expect(r.kept[t]!).toBeGreaterThan(r.kept[t - 1]!);
        expect(Array.from(r.order).sort((a, b) => a - b)).toEqual(Array.from(r.kept));
        for (let t = 0; t < K; t++) {
          expect(r.energy[t]!).toBeGreaterThanOrEqual(t === 0 ? 0 : r.energy[t - 1]!);
          expect(r.energy[t]!).toBeLessThanOrEqual(1);
          expect(r.scores[t]!).toBeGreaterThanOrEqual(0);
        }
        for (const v of r.relevance) expect(v > 0 && v <= 1).toBe(true);
      }),
      RUNS,
    );
  });

  it('the energy curve reaches exactly 1 at full rank', () => {
    fc.assert(
      fc.property(problem, ({ n, d, seed, normalize }) => {
        const r = select(randomRows(n, d, seed), { keep: n, normalize });
        // generic tokens span min(n, d) dimensions ('center' removes one when n ≤ d)
        const rank = normalize === 'center' && n <= d ? n - 1 : Math.min(n, d);
        expect(r.energy[Math.max(rank, 1) - 1]).toBe(1);
        expect(r.energy[n - 1]).toBe(1);
      }),
      RUNS,
    );
  });

  it('α = 0 ignores the text entirely', () => {
    fc.assert(
      fc.property(problem, ({ n, d, k, seed, normalize }) => {
        const visual = randomRows(n, d, seed);
        const a = select(visual, { keep: k, text: randomRows(2, d, seed + 7), alpha: 0, normalize });
        const b = select(visual, { keep: k, normalize });
        expect(Array.from(a.order)).toEqual(Array.from(b.order));
        expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
        expect(Array.from(a.energy)).toEqual(Array.from(b.energy));
      }),
      RUNS,
    );
  });

  it('duplicated tokens are not picked twice while other directions remain', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        (m, extra, copies, seed, withText) => {
          const d = m + extra; // m generic rows in d ≥ m dimensions are independent
          const base = randomRows(m, d, seed);
          const u = rng(seed + 3);
          const source: number[] = [...Array(m).keys()];
          for (let c = 0; c < copies; c++) source.splice(Math.floor(u() * (source.length + 1)), 0, Math.floor(u() * m));
          const visual = source.map((b) => base[b]!);
          const text = withText ? randomRows(1, d, seed + 5) : undefined;
          // rankTolerance 0: only numerically exact zeros count as exhausted. With the default 1e-6
          // the least relevant token (weight r^α ≈ 1e-6 under min–max relevance) can fall under the
          // tolerance, and the spec then fills, so a duplicate may legitimately come first.
          const r = select(visual, { keep: m, text, alpha: 1, rankTolerance: 0 });
          const picked = Array.from(r.order, (i) => source[i]!);
          expect(new Set(picked).size).toBe(m);
        },
      ),
      RUNS,
    );
  });

  it('the energy budget keeps the smallest K whose curve reaches τ', () => {
    fc.assert(
      fc.property(problem, fc.double({ min: 0.01, max: 1, noNaN: true }), ({ n, d, seed, words, alpha, normalize }, tau) => {
        const visual = randomRows(n, d, seed);
        const text = randomRows(words, d, seed + 1);
        const full = select(visual, { keep: n, text, alpha, normalize });
        const want = full.energy.findIndex((e) => e >= tau) + 1;
        const r = select(visual, { energy: tau, text, alpha, normalize });
        expect(r.kept.length).toBe(want);
        expect(Array.from(r.order)).toEqual(Array.from(full.order.slice(0, want)));
      }),
      RUNS,
    );
  });

  it('ties go to the lowest index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 1_000_000 }), (n, extra, seed) => {
        // equal-norm orthogonal tokens (a random permutation of scaled basis vectors): every step is a tie
        const d = n + extra;
        const u = rng(seed);
        const perm = [...Array(d).keys()].sort(() => u() - 0.5).slice(0, n);
        const scale = 0.5 + u();
        const visual = perm.map((axis) => Array.from({ length: d }, (_, k) => (k === axis ? scale : 0)));
        expect(Array.from(select(visual, { keep: n }).order)).toEqual([...Array(n).keys()]);
        // identical tokens: the first is picked, the rest are rank-exhaustion fills in index order
        const same = Array.from({ length: n }, () => visual[0]!);
        expect(Array.from(select(same, { keep: n }).order)).toEqual([...Array(n).keys()]);
      }),
      RUNS,
    );
  });

  it('rank exhaustion: after the rank is used up, the rest are filled by w·‖x‖² descending with score 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 1_000_000 }), (rank, n, seed) => {
        // well-conditioned rank-`rank` tokens: B = [I | 0.3·G] and the first rows of A a scaled
        // identity, so no residual of the first `rank` picks is anywhere near the tolerance
        const d = rank + 3;
        const u = rng(seed + 2);
        const a = randomRows(n, rank, seed).map((row, i) => (i < rank ? row.map((_, q) => (q === i ? 1 + u() : 0)) : row));
        const b = randomRows(rank, d, seed + 1).map((row, q) => row.map((v, k) => (k < rank ? (k === q ? 1 : 0) : 0.3 * v)));
        const visual = a.map((ai) => b[0]!.map((_, k) => Math.fround(ai.reduce((s, v, q) => s + v * b[q]![k]!, 0))));
        const r = select(visual, { keep: n });
        const used = Math.min(rank, n);
        const norm = (i: number): number => visual[i]!.reduce((s, v) => s + v * v, 0);
        expect(Array.from(r.scores.slice(0, used)).every((s) => s > 0)).toBe(true);
        expect(Array.from(r.scores.slice(used)).every((s) => s === 0)).toBe(true);
        expect(Array.from(r.energy.slice(used - 1)).every((e) => e === 1)).toBe(true);
        const fills = Array.from(r.order.slice(used));
        const sorted = [...fills].sort((i, j) => norm(j) - norm(i) || i - j);
        expect(fills).toEqual(sorted);
      }),
      RUNS,
    );
  });
});
