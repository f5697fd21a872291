import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError, requireBackend } from '@resprune/errors';
import { activeFastEngine, energyCurve, registerKernels, type FastEngine } from '@resprune/linalg';
import { resolveBudget } from './budget.js';
import { matrixTensor, readMatrix, type CheckedMatrix, type MatrixInput } from './input.js';
import { readCommonOptions, type MethodOptions, type SelectOptions } from './options.js';
import { PEER_METHODS } from './methods/index.js';
import { MethodRegistry, type MethodInput, type MethodOutput, type SelectionMethod } from './registry.js';
import { computeRelevance } from './relevance.js';
import { respruneMethod } from './resprune.js';
import { transformFeatures } from './transform.js';

/** The result of a selection. Arrays are fresh copies the caller owns; no tensors are returned. */
export interface SelectionResult {
  /** The method that ran (`'resprune'`, …). */
  readonly method: string;
  /** Token count N. */
  readonly n: number;
  /** Feature size d. */
  readonly d: number;
  /** Kept token indices, ascending (spatial order preserved for the LLM), `[K]`. */
  readonly kept: Int32Array;
  /** The same indices in pick order, `[K]`. */
  readonly order: Int32Array;
  /**
   * Each pick's score, `[K]`. ResPrune: the weighted residual energy `w_j·‖x_j − P_S x_j‖²` in units
   * of the transformed tokens, 0 for rank-exhaustion fills. Peers document their own.
   */
  readonly scores: Float64Array;
  /**
   * Captured-energy curve, `[K]`: after t + 1 picks, the fraction of the token energy lying in the
   * span of the picks (non-decreasing, exactly 1 once the picks span everything numerically).
   * ResPrune uses its weights, `Σ w_i‖P_S x_i‖² / Σ w_i‖x_i‖²`; methods without their own curve get
   * the unit-weight curve `Σ ‖P_S x_i‖² / Σ ‖x_i‖²` along their pick order, on the same
   * transformed tokens.
   */
  readonly energy: Float64Array;
  /** Relevance r of every token (docs/guide/method.md#1-relevance), `[N]`; all ones without text. */
  readonly relevance: Float32Array;
}

/**
 * The shared registry of selection methods; `'resprune'` is built in. Peers register here and
 * become available to {@link selectWith}, the CLI and the pipeline.
 *
 * @example
 * ```ts
 * import { methods, type SelectionMethod } from '@resprune/selector';
 * const firstK: SelectionMethod = {
 *   name: 'first-k',
 *   description: 'the first K tokens',
 *   select: ({ count }) => ({ order: Int32Array.from({ length: count }, (_, i) => i), scores: new Float64Array(count) }),
 * };
 * methods.register(firstK);
 * ```
 */
export const methods = new MethodRegistry();
methods.register(respruneMethod);
for (const peer of PEER_METHODS) methods.register(peer);

let kernelsRegistered = false;

/** Registers the linalg kernels once, on first use (nothing registers at import time). */
function ensureKernels(): void {
  if (!kernelsRegistered) {
    registerKernels();
    kernelsRegistered = true;
  }
}

function checkOutput(method: SelectionMethod, out: MethodOutput, n: number, minCount: number, count: number): void {
  const bad = (why: string): ResPruneError =>
    new ResPruneError('E_INTERNAL', `selection method '${method.name}' returned an invalid result: ${why}`);
  if (!(out?.order instanceof Int32Array) || !(out.scores instanceof Float64Array)) throw bad('order must be an Int32Array and scores a Float64Array');
  const k = out.order.length;
  if (k < minCount || k > count) throw bad(`expected ${minCount === count ? count : `${minCount} to ${count}`} picks, got ${k}`);
  if (out.scores.length !== k) throw bad(`${k} picks but ${out.scores.length} scores`);
  if (out.energy !== undefined && (!(out.energy instanceof Float64Array) || out.energy.length !== k)) throw bad(`energy must be a Float64Array of length ${k}`);
  const seen = new Uint8Array(n);
  for (const i of out.order) {
    if (!(i >= 0 && i < n)) throw bad(`index ${i} outside [0, ${n})`);
    if (seen[i] === 1) throw bad(`index ${i} picked twice`);
    seen[i] = 1;
  }
}

/**
 * Selects visual tokens with a registered method. Shared by every method: input checks and
 * conversion, budget resolution ({@link resolveBudget}), relevance r (docs/guide/method.md#1-relevance), the
 * feature transform, output checks, the captured-energy curve (the method's own, else the
 * unit-weight curve along its pick order), truncation of energy budgets at the smallest K whose
 * curve reaches τ (at least `minKeep`), and the ascending `kept` list. No tensors are left behind;
 * tensors passed in are not disposed.
 *
 * @param methodName - a registered method name (see {@link methods})
 * @param visual - visual tokens `[tokens, hidden]`: tf.Tensor2D (float32), `{ data, shape }` or `number[][]`
 * @param options - one budget plus {@link SelectOptions} and the method's own options
 * @returns the {@link SelectionResult}
 * @throws {@link @resprune/errors!ResPruneError} `E_UNKNOWN_METHOD` (lists registered names),
 *   `E_SHAPE_MISMATCH`, `E_DTYPE`, `E_EMPTY_INPUT`, `E_NON_FINITE` (visual or text), `E_BUDGET`,
 *   `E_INVALID_OPTION` (unknown option, alpha, normalize, rankTolerance), `E_NO_BACKEND` (no
 *   TensorFlow.js backend, and the fast engine is not registered), `E_INTERNAL` (a method broke
 *   its contract)
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const r = selectWith('resprune', [[1, 0], [0, 1], [1, 0.01]], { keep: 2 });
 * console.log(r.kept); // Int32Array [0, 1]
 * ```
 */
export function selectWith(methodName: string, visual: MatrixInput, options: SelectOptions & MethodOptions): SelectionResult {
  const OP = methodName === 'resprune' ? 'select' : `selectWith('${methodName}')`;
  const method = methods.get(methodName);
  const common = readCommonOptions(OP, options, method.name, method.optionNames ?? []);
  const vm = readMatrix(visual, OP, 'visual', false)!;
  const n = vm.rows;
  const d = vm.cols;
  const budget = resolveBudget(n, options);
  const tm = options.text === undefined ? undefined : readMatrix(options.text, OP, 'text', true);
  if (tm !== undefined && tm.cols !== d) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${OP}: text must have the visual feature size ${d}; visual is [${n}, ${d}], text is [${tm.rows}, ${tm.cols}]`,
      { details: { visual: [n, d], text: [tm.rows, tm.cols] } },
    );
  }
  // ResPrune on the fast engine (registerFastKernels): relevance, transform and greedy in one call
  const engine = method === respruneMethod ? activeFastEngine() : undefined;
  if (engine !== undefined) return selectOnEngine(engine, vm, tm, budget, common);
  requireBackend(tf, OP); // the tfjs path: a typed error with the fix, not tfjs's "No backend found in registry"
  ensureKernels();
  const owned: tf.Tensor[] = [];
  try {
    const v = matrixTensor(vm);
    if (v.owned) owned.push(v.tensor);
    const t = tm === undefined ? undefined : matrixTensor(tm);
    if (t?.owned === true) owned.push(t.tensor);
    const relevance = computeRelevance(v.tensor, t?.tensor);
    const f = transformFeatures(v.tensor, common.normalize);
    if (f.owned) owned.push(f.features);
    const count = budget.kind === 'count' ? budget.count : budget.maxKeep;
    const minCount = budget.kind === 'count' ? budget.count : budget.minKeep;
    const input: MethodInput = {
      visual: v.tensor,
      features: f.features,
      featureScale: f.scale,
      text: t?.tensor,
      relevance,
      n,
      d,
      count,
      energyTarget: budget.kind === 'energy' ? budget.target : undefined,
      minCount,
      alpha: common.alpha,
      normalize: common.normalize,
      rankTolerance: common.rankTolerance,
      options,
    };
    const out = method.select(input);
    checkOutput(method, out, n, minCount, count);
    const energy = out.energy ?? energyCurve(f.features, out.order, { rankTolerance: common.rankTolerance }).energy;
    return finish(method.name, n, d, budget, out.order, out.scores, energy, relevance);
  } finally {
    for (const x of owned) x.dispose();
  }
}

/** Cuts an energy budget at the smallest K whose curve reaches τ (at least `minKeep`) and builds the result. */
function finish(
  method: string,
  n: number,
  d: number,
  budget: ReturnType<typeof resolveBudget>,
  fullOrder: Int32Array,
  fullScores: Float64Array,
  energy: Float64Array,
  relevance: Float32Array,
): SelectionResult {
  let k = fullOrder.length;
  if (budget.kind === 'energy') {
    const reached = energy.findIndex((e) => e >= budget.target);
    if (reached >= 0) k = Math.min(k, Math.max(reached + 1, budget.minKeep));
  }
  const order = fullOrder.slice(0, k);
  return {
    method,
    n,
    d,
    kept: Int32Array.from(order).sort(),
    order,
    scores: fullScores.slice(0, k),
    energy: energy.slice(0, k),
    relevance,
  };
}

/**
 * ResPrune on the fast engine, straight from the checked typed arrays: the engine computes the
 * relevance, weights, transform and greedy of docs/guide/method.md#the-specification itself (the same picks as the tfjs path,
 * up to float32 near-ties), so no tensor is made.
 */
function selectOnEngine(
  engine: FastEngine,
  vm: CheckedMatrix,
  tm: CheckedMatrix | undefined,
  budget: ReturnType<typeof resolveBudget>,
  common: ReturnType<typeof readCommonOptions>,
): SelectionResult {
  const n = vm.rows;
  const d = vm.cols;
  const count = budget.kind === 'count' ? budget.count : budget.maxKeep;
  const r = engine.select(vm.values(), n, d, {
    keep: count,
    ...(tm === undefined ? {} : { text: tm.values() }),
    alpha: common.alpha,
    normalize: common.normalize,
    rankTolerance: common.rankTolerance,
    ...(budget.kind === 'energy' ? { energy: budget.target, minKeep: budget.minKeep } : {}),
  });
  return finish('resprune', n, d, budget, r.order, r.scores, r.captured, Float32Array.from(r.relevance));
}

/**
 * ResPrune visual-token selection, exactly as docs/guide/method.md#the-specification specifies: relevance r from the
 * max-over-text cosine of the raw tokens (min–max with 1e-6; r = 1 without text), weights r^α, the
 * `normalize` transform, then the greedy on `w_i·‖x_i − P_S x_i‖²` with ties to the lowest index and
 * the rank-exhaustion fill by `w_i·‖x_i‖²`. Give exactly one budget: `keep`, `ratio` or `energy`.
 *
 * @param visual - visual tokens `[tokens, hidden]`: tf.Tensor2D (float32), `{ data, shape }` or `number[][]`
 * @param options - budget, `text`, `alpha`, `normalize`, `rankTolerance` ({@link SelectOptions})
 * @returns the {@link SelectionResult} (`kept` ascending, `order`, `scores`, `energy`, `relevance`)
 * @throws {@link @resprune/errors!ResPruneError} as {@link selectWith}
 * @example
 * ```ts
 * import { select } from '@resprune/selector';
 * const visual = { data: new Float32Array(576 * 64).map(() => Math.random() - 0.5), shape: [576, 64] as const };
 * const text = [[0.3, ...new Array(63).fill(0.01)]];
 * const r = select(visual, { keep: 128, text, alpha: 1 });
 * console.log(r.kept.length, r.energy[127]);
 * ```
 */
export function select(visual: MatrixInput, options: SelectOptions): SelectionResult {
  return selectWith('resprune', visual, options);
}
