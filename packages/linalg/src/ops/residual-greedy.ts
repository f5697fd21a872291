import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { runResidualGreedy, type GreedyOutcome, type GreedyParams } from '../greedy/core.js';
import { decodeOutcome, type ResidualGreedyAttrs } from '../greedy/kernel-io.js';
import { tensorRowSource } from '../greedy/sources.js';
import { ResidualGreedy } from '../kernel-names.js';
import { hasKernel } from '../register.js';
import { assertMatrix, checkNumberOption, toIndexArray, toWeights } from '../validate.js';

/** Default `rankTolerance` (docs/guide/method.md#5-rank-exhaustion). */
export const DEFAULT_RANK_TOLERANCE = 1e-6;

/**
 * Gram rows per backend call when `rowBlock` is not given. wasm: XNNPACK pads the right operand
 * to 8 columns, so 8 rows cost what 1 does. cpu: the JavaScript kernel's 3 × 3 register block
 * makes 3 rows cheaper per row than 1. Composed path: one block per backend round trip.
 */
export const DEFAULT_ROW_BLOCK: Readonly<Record<string, number>> = { cpu: 3, wasm: 8, default: 8 };

/** Weights `[tokens]`: a float32 tensor, a typed array or a number array; omitted means all ones. */
export type TokenWeights = tf.Tensor1D | Float32Array | Float64Array | readonly number[];

/** Options of {@link residualGreedy}. */
export interface ResidualGreedyOptions {
  /**
   * Rank-exhaustion threshold: a score `w_i·E_i` at or below `rankTolerance × max_i w_i‖x_i‖²`
   * counts as zero. In [0, 1); default 1e-6.
   */
  readonly rankTolerance?: number;
  /**
   * Stop as soon as the captured-energy curve reaches this fraction (0 < target ≤ 1), so an energy
   * budget costs only the picks it keeps. `k` still caps the number of picks.
   */
  readonly energyTarget?: number;
  /** With `energyTarget`: never stop before this many picks (integer ≥ 1, default 1). */
  readonly minPicks?: number;
  /**
   * Gram rows computed per backend call: on a miss the pick's row is computed together with the
   * rows of the `rowBlock − 1` highest current scores, which are cached (at most `2·rowBlock` rows)
   * because Gram rows never go stale. `1` is the plain one-row-at-a-time algorithm; the selection
   * is the same for every value. Integer in [1, 1024]; default per backend
   * ({@link DEFAULT_ROW_BLOCK}).
   */
  readonly rowBlock?: number;
}

/** Work counters of one greedy run, for benchmarks and tests. */
export interface GreedyStats {
  /** `'kernel'` when a registered custom kernel ran, `'composed'` for the tfjs-ops fallback. */
  readonly path: 'kernel' | 'composed';
  /** Gram rows computed, including speculative rows never used. */
  readonly gramRows: number;
  /** Backend calls that computed Gram rows. */
  readonly gramBlocks: number;
  /** Picks whose Gram row was already cached from an earlier block. */
  readonly cacheHits: number;
  /** Residuals recomputed exactly from X because their downdated value had drifted. */
  readonly recomputes: number;
}

/** Result of {@link residualGreedy}. */
export interface ResidualGreedyResult {
  /** Picked token indices in pick order, `[picks]`. */
  readonly order: Int32Array;
  /**
   * Each pick's weighted residual score `w_j·E_j` at the time it was picked (units of `w·‖x‖²`).
   * Picks made by the rank-exhaustion fill (the last `order.length − residualPicks`) report 0:
   * their residual is numerically zero.
   */
  readonly scores: Float64Array;
  /**
   * Captured-energy curve: after `t + 1` picks, `Σ_i w_i‖P_S x_i‖² / Σ_i w_i‖x_i‖²`. Non-decreasing;
   * exactly 1 once every remaining residual is numerically zero (rank exhaustion, or every token
   * picked), and 1 throughout when all tokens are zero (nothing to capture).
   */
  readonly energy: Float64Array;
  /** Picks made by the residual criterion; the rest were rank-exhaustion fills. */
  readonly residualPicks: number;
  /** Whether the remaining residuals became numerically zero (rank exhausted). */
  readonly exhausted: boolean;
  /** Work counters. */
  readonly stats: GreedyStats;
}

/** Result of {@link energyCurve}. */
export interface EnergyCurveResult {
  /** Captured-energy fraction after each pick of the given order, `[picks]`, non-decreasing. */
  readonly energy: Float64Array;
  /** Each pick's weighted residual `w_j·E_j` just before it was added. */
  readonly residuals: Float64Array;
  /** Whether the order's span captured everything numerically before its end. */
  readonly exhausted: boolean;
}

function defaultRowBlock(): number {
  return DEFAULT_ROW_BLOCK[tf.getBackend()] ?? DEFAULT_ROW_BLOCK['default']!;
}

function withStats(o: GreedyOutcome, path: 'kernel' | 'composed'): ResidualGreedyResult {
  return {
    order: o.order,
    scores: o.scores,
    energy: o.energy,
    residualPicks: o.residualPicks,
    exhausted: o.exhausted,
    stats: { path, gramRows: o.gramRows, gramBlocks: o.gramBlocks, cacheHits: o.cacheHits, recomputes: o.recomputes },
  };
}

/** Runs the greedy through the registered kernel of the active backend, or composed tfjs ops. */
function run(x: tf.Tensor2D, w: Float64Array, params: GreedyParams): ResidualGreedyResult {
  if (hasKernel(ResidualGreedy)) {
    const attrs: ResidualGreedyAttrs = {
      k: params.k,
      rankTolerance: params.rankTolerance,
      energyTarget: params.energyTarget ?? -1,
      minPicks: params.minPicks,
      rowBlock: params.rowBlock,
    };
    const weights = tf.tensor1d(Float32Array.from(w));
    const order = params.forcedOrder === undefined ? undefined : tf.tensor1d(params.forcedOrder, 'int32');
    let outs: tf.Tensor[];
    try {
      const inputs: tf.NamedTensorMap = order === undefined ? { x, weights } : { x, weights, order };
      outs = tf.engine().runKernel(ResidualGreedy, inputs, attrs) as tf.Tensor[];
    } finally {
      weights.dispose();
      order?.dispose();
    }
    try {
      const [o, s, e, info] = outs.map((t) => t.dataSync() as Int32Array) as [Int32Array, Int32Array, Int32Array, Int32Array];
      return withStats(decodeOutcome(o, s, e, info), 'kernel');
    } finally {
      for (const t of outs) t.dispose();
    }
  }
  const src = tensorRowSource(x);
  try {
    return withStats(runResidualGreedy(src, w, params), 'composed');
  } finally {
    src.dispose();
  }
}

function readOptions(op: string, options: ResidualGreedyOptions): { rankTolerance: number; rowBlock: number } {
  if (options === null || typeof options !== 'object') {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const rankTolerance =
    checkNumberOption(options.rankTolerance, op, 'rankTolerance', { min: 0, max: 1, minInclusive: true, maxInclusive: false }) ??
    DEFAULT_RANK_TOLERANCE;
  const rowBlock =
    checkNumberOption(options.rowBlock, op, 'rowBlock', { min: 1, max: 1024, minInclusive: true, maxInclusive: true, integer: true }) ??
    defaultRowBlock();
  return { rankTolerance, rowBlock };
}

/**
 * The ResPrune greedy (docs/guide/method.md#the-specification, items 4–6): repeatedly pick the unpicked token with the largest
 * weighted residual energy `w_i·‖x_i − P_S x_i‖²` (ties to the lowest index) until `k` picks;
 * when every remaining score is numerically zero (≤ `rankTolerance` × the largest initial score)
 * the remaining slots are filled by `w_i·‖x_i‖²` descending, ties to the lowest index.
 *
 * Incremental Cholesky / Gram–Schmidt form: `O(tokens·k·hidden)` time, `O(tokens·k)` extra memory,
 * never the `[tokens, tokens]` Gram matrix. Energies and coefficients are float64; a pick whose
 * downdated residual has shrunk below 1 % of its last exact value is recomputed from X, and
 * downdates are clamped at 0. Inputs whose magnitudes would overflow or underflow float32 Gram
 * entries are rescaled internally by a power of two (exact). On cpu and wasm a registered kernel
 * works on the backend's data; elsewhere the op composes tfjs ops. No tensor is left behind.
 *
 * @param x - tokens `[tokens, hidden]`, float32, finite, non-empty (already transformed, e.g. l2)
 * @param weights - `[tokens]` weights `w_i ≥ 0`, finite (used at float32 precision); omitted = all 1
 * @param k - picks wanted, integer ≥ 1 (more than `tokens` picks all)
 * @param options - {@link ResidualGreedyOptions}
 * @returns the pick order, scores, captured-energy curve and work counters
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`, `E_DTYPE`, `E_EMPTY_INPUT`, `E_NON_FINITE`
 *   (x or weights), `E_BUDGET` (k, energyTarget, minPicks), `E_INVALID_OPTION` (negative weights,
 *   rankTolerance, rowBlock)
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { residualGreedy } from '@resprune/linalg';
 * const x = tf.tensor2d([[3, 0], [0, 1], [3, 0.1]]);
 * const r = residualGreedy(x, undefined, 2);
 * console.log(r.order); // Int32Array [0, 1]: token 2 is nearly parallel to token 0
 * ```
 */
export function residualGreedy(
  x: tf.Tensor2D,
  weights: TokenWeights | undefined,
  k: number,
  options: ResidualGreedyOptions = {},
): ResidualGreedyResult {
  const OP = 'residualGreedy';
  assertMatrix(x, OP, 'x');
  const n = x.shape[0];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new ResPruneError('E_BUDGET', `${OP}: k must be an integer >= 1, got ${String(k)}`, { details: { k } });
  }
  const { rankTolerance, rowBlock } = readOptions(OP, options);
  const energyTarget = checkNumberOption(
    options.energyTarget,
    OP,
    'energyTarget',
    { min: 0, max: 1, minInclusive: false, maxInclusive: true },
    'E_BUDGET',
  );
  const minPicks =
    checkNumberOption(options.minPicks, OP, 'minPicks', { min: 1, max: Number.MAX_SAFE_INTEGER, minInclusive: true, maxInclusive: true, integer: true }, 'E_BUDGET') ?? 1;
  const w = weights === undefined ? new Float64Array(n).fill(1) : toWeights(weights, n, OP);
  return run(x, w, { k: Math.min(k, n), rankTolerance, energyTarget, minPicks: Math.min(minPicks, n), rowBlock, forcedOrder: undefined });
}

/** Options of {@link energyCurve}. */
export interface EnergyCurveOptions {
  /** `[tokens]` weights; omitted = all 1 (the unit-weight curve used for peer methods). */
  readonly weights?: TokenWeights;
  /** As in {@link ResidualGreedyOptions.rankTolerance}. */
  readonly rankTolerance?: number;
  /** As in {@link ResidualGreedyOptions.rowBlock}; the next entries of `order` are prefetched. */
  readonly rowBlock?: number;
}

/**
 * Captured-energy curve of a given pick order (docs/guide/method.md#6-output): after `t + 1` picks, the
 * fraction of `Σ_i w_i‖x_i‖²` lying in the span of the first `t + 1` tokens of `order`. Same
 * incremental algorithm and guards as {@link residualGreedy}, with the picks forced; a pick already
 * numerically in the span adds nothing, and the curve is exactly 1 once every token outside the
 * order prefix is numerically in the span.
 *
 * @param x - tokens `[tokens, hidden]`, float32, finite, non-empty
 * @param order - distinct token indices in pick order (array, Int32Array or int32 tensor)
 * @param options - {@link EnergyCurveOptions}
 * @returns the curve, each pick's residual and whether the span was exhausted
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`, `E_DTYPE`, `E_EMPTY_INPUT`, `E_NON_FINITE`,
 *   `E_INVALID_OPTION` (index out of range or repeated, bad weights or options)
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { energyCurve } from '@resprune/linalg';
 * const { energy } = energyCurve(tf.tensor2d([[1, 0], [0, 1]]), [1, 0]);
 * console.log(energy); // Float64Array [0.5, 1]
 * ```
 */
export function energyCurve(x: tf.Tensor2D, order: readonly number[] | Int32Array | tf.Tensor1D, options: EnergyCurveOptions = {}): EnergyCurveResult {
  const OP = 'energyCurve';
  assertMatrix(x, OP, 'x');
  const n = x.shape[0];
  const forced = toIndexArray(order, n, OP, 'order');
  const seen = new Uint8Array(n);
  for (let t = 0; t < forced.length; t++) {
    const i = forced[t]!;
    if (seen[i] === 1) throw new ResPruneError('E_INVALID_OPTION', `${OP}: order contains token ${i} twice (again at position ${t})`);
    seen[i] = 1;
  }
  const { rankTolerance, rowBlock } = readOptions(OP, options);
  const w = options.weights === undefined ? new Float64Array(n).fill(1) : toWeights(options.weights, n, OP);
  if (forced.length === 0) return { energy: new Float64Array(0), residuals: new Float64Array(0), exhausted: false };
  const r = run(x, w, { k: forced.length, rankTolerance, energyTarget: undefined, minPicks: 1, rowBlock, forcedOrder: forced });
  return { energy: r.energy, residuals: r.scores, exhausted: r.exhausted };
}
