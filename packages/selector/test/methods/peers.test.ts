import { describe, expect, inject, it } from 'vitest';
import { expectClose } from '@resprune/test-backends';
import { gridIndices, select, selectWith, stridedIndices } from '../../src/index.js';
import { randomRows } from '../helpers.js';
import { cdprunerRef, cdRelevance, dartRef, divpruneRef, gridRef, mmtokRef, randomRef, stridedRef, type Reference, type Rows } from './reference.js';

const backend = inject('tfBackend');

/** Gaussian rows with per-row scales 0.2 … 4.2, so norms differ (l2 and L1 choices matter). */
function tokens(n: number, d: number, seed: number): Rows {
  return randomRows(n, d, seed).map((row, i) => row.map((v) => Math.fround(v * (0.2 + (i % 5)))));
}

/**
 * Runs `check` on seeds until `want` inputs whose reference greedy wins every step by at least
 * `minGap` were checked (float32 may break closer calls differently); fails if too few qualify.
 */
function onClearInputs(want: number, minGap: number, make: (seed: number) => Reference, check: (seed: number, ref: Reference) => void): void {
  let checked = 0;
  for (let seed = 1; checked < want && seed < 400; seed++) {
    const ref = make(seed);
    if (ref.gap < minGap) continue;
    check(seed, ref);
    checked++;
  }
  expect(checked).toBe(want);
}

describe(`random [${backend}]`, () => {
  it('equals the plain seeded-key sample, for several seeds and sizes', () => {
    for (const [n, k, seed] of [[10, 3, 0], [50, 20, 7], [33, 33, 123456789], [5, 1, 0xffffffff]] as const) {
      const r = selectWith('random', randomRows(n, 2, 1), { keep: k, seed });
      expect(Array.from(r.order)).toEqual(randomRef(n, k, seed));
    }
  });

  it('is uniform: every token is kept with probability K/N over seeds', () => {
    const n = 10;
    const k = 3;
    const runs = 400;
    const hits = new Array<number>(n).fill(0);
    const rows = randomRows(n, 2, 2);
    for (let seed = 0; seed < runs; seed++) for (const i of selectWith('random', rows, { keep: k, seed }).kept) hits[i]!++;
    // binomial sd = sqrt(400 · 0.3 · 0.7) ≈ 9.2; 5 sd bounds
    for (const h of hits) expect(Math.abs(h - (runs * k) / n)).toBeLessThan(46);
  });
});

describe(`uniform [${backend}]`, () => {
  it('sequence: the centre of each of K equal segments', () => {
    for (const [n, k] of [[10, 3], [576, 128], [7, 7], [100, 1]] as const) {
      expect(Array.from(stridedIndices(n, k))).toEqual(stridedRef(n, k));
      const r = selectWith('uniform', randomRows(n, 2, 3), { keep: k });
      expect(Array.from(r.order)).toEqual(stridedRef(n, k));
    }
  });

  it('grid: the documented band layout; a K that fits the aspect ratio is an exact sub-grid', () => {
    for (const [rows, cols] of [[24, 24], [6, 10], [1, 9], [9, 1], [5, 7]] as const) {
      for (let k = 1; k <= rows * cols; k += Math.max(1, Math.floor((rows * cols) / 13))) {
        const got = Array.from(gridIndices({ rows, cols }, k));
        expect(got).toEqual(gridRef(rows, cols, k));
        expect(new Set(got).size).toBe(k);
        expect([...got].sort((a, b) => a - b)).toEqual(got);
      }
    }
    const expected: number[] = [];
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) expected.push((1 + 3 * a) * 24 + 1 + 3 * b);
    expect(Array.from(gridIndices({ rows: 24, cols: 24 }, 64))).toEqual(expected);
    const sub = Array.from(gridIndices({ rows: 24, cols: 24 }, 144));
    expect(sub.every((i) => Math.floor(i / 24) % 2 === 1 && (i % 24) % 2 === 1)).toBe(true);
    const r = selectWith('uniform', randomRows(24 * 24, 2, 4), { keep: 64, grid: { rows: 24, cols: 24 } });
    expect(Array.from(r.kept)).toEqual(expected);
  });
});

describe(`divprune [${backend}]`, () => {
  it('equals the plain max–min diversity greedy on cosine distance', () => {
    onClearInputs(
      4,
      1e-4,
      (seed) => divpruneRef(tokens(40, 12, seed), 15),
      (seed, ref) => {
        const r = selectWith('divprune', tokens(40, 12, seed), { keep: 15 });
        expect(Array.from(r.order)).toEqual(ref.order);
        expectClose(r.scores, ref.scores, 1e-5);
      },
    );
  });

  it('duplicates and zero tokens: distance 0 to a twin, 1 to a zero row; still K distinct picks', () => {
    const v = [[1, 0], [1, 0], [0, 1], [0, 0], [0, 1]];
    const r = selectWith('divprune', v, { keep: 5 });
    // zero row: cosine 0 with all, its nearest "neighbour" distance 1 is the largest
    expect(r.order[0]).toBe(3);
    expect(new Set(r.order).size).toBe(5);
    expect(Array.from(r.order)).toEqual(divpruneRef(v, 5).order);
  });
});

describe(`cdpruner [${backend}]`, () => {
  for (const mode of ['paper', 'code', 'spec'] as const) {
    it(`relevance '${mode}': equals greedy MAP by determinants on diag(r)·cos·diag(r)`, () => {
      onClearInputs(
        3,
        1e-3,
        (seed) => cdprunerRef(tokens(24, 10, seed), cdRelevance(tokens(24, 10, seed), randomRows(3, 10, seed + 500), mode), 8),
        (seed, ref) => {
          const r = selectWith('cdpruner', tokens(24, 10, seed), { keep: 8, text: randomRows(3, 10, seed + 500), relevance: mode });
          expect(Array.from(r.order)).toEqual(ref.order);
          expectClose(r.scores, ref.scores, 1e-4);
        },
      );
    });
  }

  it("the default is the paper's sign: higher similarity to the text = more relevant", () => {
    const v = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.1, 0.9, 0]];
    const text = [[0, 1, 0]];
    expect(selectWith('cdpruner', v, { keep: 1, text }).order[0]).toBe(1);
    expect(selectWith('cdpruner', v, { keep: 1, text, relevance: 'paper' }).order[0]).toBe(1);
    // the published code's sign: the token least like the text is the most "relevant"
    expect(selectWith('cdpruner', v, { keep: 1, text, relevance: 'code' }).order[0]).toBe(0);
  });

  it('equals ResPrune with α = 2, normalize l2 and the same relevance (docs/guide/method.md#cdpruner-as-a-special-case)', () => {
    onClearInputs(
      4,
      1e-3,
      (seed) => cdprunerRef(tokens(40, 24, seed), cdRelevance(tokens(40, 24, seed), randomRows(3, 24, seed + 900), 'spec'), 12),
      (seed, ref) => {
        const visual = tokens(40, 24, seed);
        const text = randomRows(3, 24, seed + 900);
        const cd = selectWith('cdpruner', visual, { keep: 12, text, relevance: 'spec' });
        const rp = select(visual, { keep: 12, text, alpha: 2, normalize: 'l2' });
        expect(Array.from(cd.order)).toEqual(Array.from(rp.order));
        expect(Array.from(cd.order)).toEqual(ref.order);
        expectClose(cd.scores, rp.scores, 1e-4);
      },
    );
  });

  it('rank exhaustion: beyond the rank the rest is filled by L_ii = r² descending', () => {
    // 6 tokens in 2 dimensions: the kernel has rank 2
    const v = [[1, 0], [0, 1], [1, 1], [2, 0.1], [0.3, 1], [1, -1]];
    const text = [[1, 0.2]];
    const r = selectWith('cdpruner', v, { keep: 6, text, relevance: 'spec' });
    const ref = cdprunerRef(v, cdRelevance(v, text, 'spec'), 6);
    expect(Array.from(r.order)).toEqual(ref.order);
    expect(Array.from(r.scores.slice(2))).toEqual([0, 0, 0, 0]);
  });
});

describe(`dart [${backend}]`, () => {
  it('with text: 4 image + 4 text pivots by L1 norm, each keeping its least similar tokens, exactly K', () => {
    onClearInputs(
      4,
      1e-5,
      (seed) => dartRef(tokens(60, 16, seed), randomRows(6, 16, seed + 77), 20),
      (seed, ref) => {
        const r = selectWith('dart', tokens(60, 16, seed), { keep: 20, text: randomRows(6, 16, seed + 77) });
        expect(Array.from(r.order)).toEqual(ref.order);
        expectClose(r.scores, ref.scores, 1e-4);
      },
    );
  });

  it('without text: 8 image pivots; custom pivot counts; K below the pivot count', () => {
    for (const [k, img, txt] of [[30, undefined, undefined], [11, 2, 1], [3, undefined, undefined], [17, 0, 3]] as const) {
      const text = img === 0 ? randomRows(5, 16, 9) : [];
      onClearInputs(
        2,
        1e-5,
        (seed) => dartRef(tokens(50, 16, seed), text, k, img, txt),
        (seed, ref) => {
          const opts = { keep: k, ...(text.length > 0 ? { text } : {}), ...(img === undefined ? {} : { imagePivots: img }), ...(txt === undefined ? {} : { textPivots: txt }) };
          expect(Array.from(selectWith('dart', tokens(50, 16, seed), opts).order)).toEqual(ref.order);
        },
      );
    }
  });

  it('pivots never share a token: a token taken earlier is skipped, the pivot takes its next one', () => {
    // two identical pivots (largest L1) would want the same least-similar tokens
    const v = [[5, 0], [5, 0], [0, 1], [0, 1.1], [1, 1], [0.5, 0.6]];
    const r = selectWith('dart', v, { keep: 4, imagePivots: 2 });
    expect(Array.from(r.order)).toEqual([0, 1, 2, 3]);
    expect(Array.from(r.order)).toEqual(dartRef(v, [], 4, 2).order);
  });
});

describe(`mmtok [${backend}]`, () => {
  for (const [label, words, tau, lambda] of [
    ['with text, defaults', 3, undefined, undefined],
    ['without text', 0, undefined, undefined],
    ['τ = 0.5, λ = 0.8', 2, 0.5, 0.8],
    ['λ = 0: vision coverage only', 2, 0.2, 0],
  ] as const) {
    it(`${label}: equals the plain greedy on the coverage objective`, () => {
      onClearInputs(
        3,
        1e-4,
        (seed) => mmtokRef(tokens(30, 8, seed), randomRows(words, 8, seed + 5), 10, tau, lambda),
        (seed, ref) => {
          const opts = {
            keep: 10,
            ...(words > 0 ? { text: randomRows(words, 8, seed + 5) } : {}),
            ...(tau === undefined ? {} : { temperature: tau }),
            ...(lambda === undefined ? {} : { textWeight: lambda }),
          };
          const r = selectWith('mmtok', tokens(30, 8, seed), opts);
          expect(Array.from(r.order)).toEqual(ref.order);
          expectClose(r.scores, ref.scores, 1e-6);
        },
      );
    });
  }

  it('λ = 0 ignores the text; λ = 1 follows it', () => {
    const v = tokens(30, 8, 3);
    const text = randomRows(2, 8, 4);
    expect(Array.from(selectWith('mmtok', v, { keep: 6, text, textWeight: 0 }).order)).toEqual(Array.from(selectWith('mmtok', v, { keep: 6 }).order));
    expect(Array.from(selectWith('mmtok', v, { keep: 6, text, textWeight: 1 }).order)).not.toEqual(Array.from(selectWith('mmtok', v, { keep: 6 }).order));
  });
});
