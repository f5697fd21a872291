import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import {
  mergeSelections,
  validateBudget,
  type BackboneAdapter,
  type Budget,
  type BudgetPlan,
  type BudgetPolicy,
  type NewlinePolicy,
  type UnitBudget,
  type VisualLayout,
} from '@resprune/backbones';

/**
 * A visual-token budget: the one `Budget` of `@resprune/backbones` (keep K tokens, keep a fraction, or keep the
 * fewest tokens whose captured energy reaches τ, optionally bounded by `minKeep` / `maxKeep`). The same object goes
 * to the selector, the adapters and the CLI.
 *
 * @example
 * ```ts
 * const b: PruneBudget = { energy: 0.9, minKeep: 32, maxKeep: 256 };
 * ```
 */
export type PruneBudget = Budget;

/** What a selector is called with for one selection unit (an image, a view or a crop, by policy). */
export interface SelectorCall {
  /**
   * The unit's budget: `{ keep: q }` with the unit's quota for keep and ratio budgets, or
   * `{ energy, minKeep, maxKeep? }` for energy budgets (see `@resprune/backbones`' `planBudget`).
   */
  readonly budget: UnitBudget;
  /** Method name (`resprune`, `random`, `divprune`, ... as the selector registers them). */
  readonly method: string;
  /** Text weighting exponent α, when the request set one. */
  readonly alpha?: number;
  /** Text vectors `[M, hidden]` in the LLM embedding space, when available. */
  readonly text?: tf.Tensor2D;
  /** The unit's label from the budget plan, e.g. `image 0`, `image 0 base`, `image 0 crops[2]`. */
  readonly unit?: string;
}

/**
 * Chooses visual tokens: receives the candidate tokens `[N, hidden]` of one selection unit (projected, in the
 * LLM input-embedding space) and returns the indices (0-based into the candidates) to keep, in any order. For a
 * `{ keep: q }` budget it must return exactly q indices; for an energy budget between `minKeep` and `maxKeep` (or N).
 * It must not dispose its inputs. `@resprune/selector` provides the methods.
 */
export type TokenSelector = (candidates: tf.Tensor2D, call: SelectorCall) => Promise<ArrayLike<number>> | ArrayLike<number>;

/**
 * What happens to LLaVA-NeXT `image_newline` tokens when pruning (`@resprune/backbones`' `NewlinePolicy`):
 * `drop` removes them, `keep` keeps all of them, `keep-rows` (the pipeline's default) keeps a row's newline when
 * at least one token of that row is kept, `select` makes them ordinary candidates.
 */
export type NewlineRule = NewlinePolicy;

/** Per-unit outcome of {@link planPruning}. */
export interface PrunedUnit {
  /** The unit's label, e.g. `image 0 base`. */
  readonly label: string;
  /** Candidates given to the selector. */
  readonly candidates: number;
  /** Candidates the selector kept. */
  readonly kept: number;
}

/** Result of {@link planPruning}. */
export interface PruningPlan {
  /** Visual-token indices the selector picked (before the newline rule), ascending. */
  readonly picked: Int32Array;
  /** The adapter's budget plan the selection followed. */
  readonly plan: BudgetPlan;
  /** Candidates given to the selector, over all units. */
  readonly candidates: number;
  /** Candidates the selector kept, over all units. */
  readonly selected: number;
  /** Per-unit sizes, in `plan.units` order. */
  readonly units: readonly PrunedUnit[];
}

/**
 * Checks a budget with the one validator of `@resprune/backbones` (`validateBudget`).
 *
 * @param budget - the budget
 * @returns the same budget
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` when not exactly one of keep/ratio/energy is given, `keep` is not a
 *   positive integer, `ratio` or `energy` not in (0, 1], or minKeep/maxKeep are not positive integers with minKeep ≤ maxKeep
 * @example
 * ```ts
 * toBackboneBudget({ energy: 0.9, minKeep: 16 }); // { energy: 0.9, minKeep: 16 }
 * ```
 */
export function toBackboneBudget(budget: PruneBudget): Budget {
  if (budget === null || typeof budget !== 'object') {
    throw new ResPruneError('E_BUDGET', `budget: expected { keep }, { ratio } or { energy }, got ${JSON.stringify(budget)}.`);
  }
  return validateBudget(budget);
}

/**
 * Checks a budget's numbers.
 *
 * @param budget - the budget
 * @returns the same budget
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` when `keep` is not a positive integer, `ratio` not in (0, 1],
 *   `energy` not in (0, 1], or minKeep/maxKeep inconsistent
 * @example
 * ```ts
 * checkBudget({ keep: 128 });
 * ```
 */
export function checkBudget(budget: PruneBudget): PruneBudget {
  toBackboneBudget(budget);
  return budget;
}

/** Options of {@link planPruning}. */
export interface PlanPruningOptions {
  /** The selector run once per unit. */
  readonly selector: TokenSelector;
  /** Selection method name passed to the selector. */
  readonly method: string;
  /** α passed to the selector. */
  readonly alpha?: number;
  /** Text vectors `[M, hidden]` passed to the selector. */
  readonly text?: tf.Tensor2D;
  /** Newline rule: only `select` makes newline tokens candidates. */
  readonly newlines: NewlineRule;
  /** Budget policy (default: the adapter's, `global` for LLaVA). */
  readonly policy?: BudgetPolicy;
  /** Minimum tokens per unit (default 1). */
  readonly minTokens?: number;
}

/**
 * The pruning hook between projector and LLM: the backbone adapter splits the budget into units
 * (`adapter.plan(layout, budget, { policy, newlines, minTokens })`: one per image under `global`, per view or per
 * crop otherwise, each with quota ⌈tokens × keep fraction⌉), the selector runs once per unit on its candidate
 * rows, and the picks are merged and checked (`mergeSelections`). Compaction (`adapter.compact`) is left to the
 * caller, which knows the prompt.
 *
 * @param visual - projected image tokens `[layout.tokens, hidden]`, all images in layout order (not disposed)
 * @param layout - the images' layout from `adapter.layout(sizes)`
 * @param adapter - the backbone adapter
 * @param budget - the budget
 * @param options - selector, method, α, text vectors, newline rule, policy, minimum tokens
 * @returns picked visual-token indices, the plan and per-unit sizes
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` for a bad budget or a selector that returns a count its unit's budget
 *   does not allow; `E_INVALID_OPTION` for an unknown policy or newline rule, or a selector index that is out of
 *   range or repeated; `E_SHAPE_MISMATCH` when `visual` does not have `layout.tokens` rows
 * @example
 * ```ts
 * const layout = adapter.layout({ width: 640, height: 480 });
 * const p = await planPruning(visual, layout, adapter, { keep: 64 }, { selector, method: 'resprune', newlines: 'keep-rows' });
 * const { keep, positions } = adapter.compact(layout, p.picked, { prompt, newlines: 'keep-rows' });
 * ```
 */
export async function planPruning(
  visual: tf.Tensor2D,
  layout: VisualLayout,
  adapter: BackboneAdapter,
  budget: PruneBudget,
  options: PlanPruningOptions,
): Promise<PruningPlan> {
  const b = toBackboneBudget(budget);
  if (visual.shape[0] !== layout.tokens) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `planPruning: ${visual.shape[0]} visual tokens given, the ${layout.backbone} layout has ${layout.tokens}.`);
  }
  const plan = adapter.plan(layout, b, {
    newlines: options.newlines,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.minTokens === undefined ? {} : { minTokens: options.minTokens }),
  });
  const picks: ArrayLike<number>[] = [];
  for (const unit of plan.units) {
    const all = unit.candidates.length === layout.tokens;
    const cand = all ? visual : tf.tidy(() => tf.gather(visual, tf.tensor1d(Int32Array.from(unit.candidates), 'int32')) as tf.Tensor2D);
    try {
      picks.push(
        await options.selector(cand, {
          budget: unit.budget,
          method: options.method,
          unit: unit.label,
          ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
          ...(options.text === undefined ? {} : { text: options.text }),
        }),
      );
    } finally {
      if (!all) cand.dispose();
    }
  }
  const picked = mergeSelections(plan, picks);
  const units = plan.units.map((u, i): PrunedUnit => ({ label: u.label, candidates: u.candidates.length, kept: picks[i]!.length }));
  return { picked: Int32Array.from(picked), plan, candidates: plan.candidates, selected: picked.length, units };
}
