import { ResPruneError } from '@resprune/errors';
import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { noEnergyBudget, optionError } from './common.js';

/** A token layout on a grid: token `r * cols + c` sits at row r, column c (row-major). */
export interface GridLayout {
  /** Grid rows, integer ≥ 1. */
  readonly rows: number;
  /** Grid columns, integer ≥ 1. */
  readonly cols: number;
}

/** Options of the `'uniform'` method (besides the common ones). */
export interface UniformOptions {
  /** The token grid; `rows × cols` must equal the token count. Without it the tokens are a sequence. */
  readonly grid?: GridLayout;
}

/**
 * K evenly strided indices of a sequence of n: `⌊(t + ½)·n / K⌋` for t = 0 … K−1 (the centre of
 * each of K equal segments), ascending and distinct for 1 ≤ K ≤ n.
 *
 * @param n - sequence length, integer ≥ 1
 * @param k - how many, 1 … n
 * @returns `[k]` ascending indices
 * @example
 * ```ts
 * import { stridedIndices } from '@resprune/selector';
 * stridedIndices(10, 3); // Int32Array [1, 5, 8]
 * ```
 */
export function stridedIndices(n: number, k: number): Int32Array {
  return Int32Array.from({ length: k }, (_, t) => Math.floor(((t + 0.5) * n) / k));
}

/**
 * K evenly spread cells of a `rows × cols` grid, in raster order. K points are laid on
 * `g = clamp(round(√(K·rows/cols)), ⌈K/cols⌉, min(rows, K))` grid rows, the strided rows
 * `⌊(a + ½)·rows/g⌋`; band a receives `⌊(a+1)K/g⌋ − ⌊aK/g⌋` points (so the counts differ by at
 * most one), placed at the strided columns `⌊(b + ½)·cols/m⌋` of its m points. When K is a
 * product that fits the aspect ratio this is the classic sub-grid (K = 64 of 24×24: every third
 * row and column).
 *
 * @param grid - the {@link GridLayout}
 * @param k - how many, 1 … rows·cols
 * @returns `[k]` ascending token indices `r * cols + c`
 * @example
 * ```ts
 * import { gridIndices } from '@resprune/selector';
 * gridIndices({ rows: 4, cols: 4 }, 4); // Int32Array [5, 7, 13, 15]
 * ```
 */
export function gridIndices(grid: GridLayout, k: number): Int32Array {
  const { rows, cols } = grid;
  const g = Math.min(rows, k, Math.max(Math.ceil(k / cols), Math.round(Math.sqrt((k * rows) / cols))));
  const out = new Int32Array(k);
  let t = 0;
  for (let a = 0; a < g; a++) {
    const r = Math.floor(((a + 0.5) * rows) / g);
    const m = Math.floor(((a + 1) * k) / g) - Math.floor((a * k) / g);
    for (let b = 0; b < m; b++) out[t++] = r * cols + Math.floor(((b + 0.5) * cols) / m);
  }
  return out;
}

function readGrid(input: MethodInput): GridLayout | undefined {
  const v = input.options['grid'];
  if (v === undefined) return undefined;
  const g = v as Partial<GridLayout> | null;
  const okInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;
  if (g === null || typeof g !== 'object' || Array.isArray(g) || !okInt(g.rows) || !okInt(g.cols)) {
    throw optionError('uniform', 'grid', '{ rows, cols } with positive integers', v);
  }
  if (g.rows * g.cols !== input.n) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `selectWith('uniform'): grid ${g.rows}×${g.cols} has ${g.rows * g.cols} cells but there are ${input.n} tokens`,
      { details: { grid: { rows: g.rows, cols: g.cols }, tokens: input.n } },
    );
  }
  return { rows: g.rows, cols: g.cols };
}

/**
 * Uniform (spatial) selection: tokens evenly strided over the grid when the layout is known
 * (`grid`, see {@link gridIndices}), over the sequence otherwise ({@link stridedIndices}). The
 * pooling-like baseline of the token-pruning literature (ours: no single paper defines it; the
 * ResPrune method notes list it with random as the baselines).
 *
 * - Options: `grid: { rows, cols }` (rows·cols must equal N, else `E_SHAPE_MISMATCH`). Text,
 *   `alpha` and `normalize` do not change the picks.
 * - Budgets: `keep` and `ratio`. An `energy` budget throws `E_BUDGET`: the strided sets for
 *   different K are not nested, so there is no pick order to stop along.
 * - Order: raster order (ascending), the same as `kept`. Scores: 0 (the method has none).
 * - Cost: O(K); no tensor work.
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const visual = { data: new Float32Array(576 * 8).fill(1), shape: [576, 8] as const };
 * const r = selectWith('uniform', visual, { keep: 64, grid: { rows: 24, cols: 24 } });
 * console.log(r.kept.slice(0, 8)); // [25, 28, 31, 34, 37, 40, 43, 46]
 * ```
 */
export const uniformMethod: SelectionMethod = {
  name: 'uniform',
  description: 'uniform: evenly strided over the token grid (--grid RxC) or over the sequence',
  optionNames: ['grid'],
  select(input: MethodInput): MethodOutput {
    const grid = readGrid(input);
    if (input.energyTarget !== undefined) throw noEnergyBudget('uniform', 'strided sets of different sizes are not nested');
    const order = grid === undefined ? stridedIndices(input.n, input.count) : gridIndices(grid, input.count);
    return { order, scores: new Float64Array(order.length) };
  },
};
