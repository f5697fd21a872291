import { ResPruneError } from '@resprune/errors';
import { validateBudget, type Budget } from '@resprune/backbones';

/**
 * A token budget: exactly one of `keep`, `ratio` or `energy` (docs/guide/method.md#7-budgets); `minKeep` and
 * `maxKeep` bound the energy budget only.
 */
export type BudgetOptions = {
  /** Keep this many tokens (integer ≥ 1; K ≥ N keeps all). */
  readonly keep?: number | undefined;
  /** Keep this fraction of the tokens, 0 < ratio ≤ 1: `max(1, round(ratio · N))` (halves round up). */
  readonly ratio?: number | undefined;
  /** Keep the fewest tokens whose captured-energy fraction reaches τ, 0 < τ ≤ 1. */
  readonly energy?: number | undefined;
  /** Energy budget: keep at least this many (integer ≥ 1, default 1; clipped to N). */
  readonly minKeep?: number | undefined;
  /** Energy budget: keep at most this many (integer ≥ 1, default N; clipped to N). */
  readonly maxKeep?: number | undefined;
};

/** A budget resolved against a token count. */
export type ResolvedBudget =
  | {
      /** A fixed number of tokens (from `keep` or `ratio`). */
      readonly kind: 'count';
      /** Tokens to keep, 1 … N. */
      readonly count: number;
      /** Which option gave it. */
      readonly from: 'keep' | 'ratio';
    }
  | {
      /** As many tokens as the captured-energy target needs. */
      readonly kind: 'energy';
      /** τ in (0, 1]. */
      readonly target: number;
      /** Lower bound, 1 … maxKeep. */
      readonly minKeep: number;
      /** Upper bound, minKeep … N. */
      readonly maxKeep: number;
    };

const budgetError = (msg: string, details?: Record<string, unknown>): ResPruneError =>
  new ResPruneError('E_BUDGET', msg, details === undefined ? {} : { details });

/**
 * Resolves a budget for `n` tokens (docs/guide/method.md#7-budgets). Exactly one of `keep`, `ratio`,
 * `energy` must be given; `minKeep`/`maxKeep` only go with `energy`.
 *
 * - `keep: K` → `min(K, n)` tokens (K ≥ n keeps all).
 * - `ratio: r` (0 < r ≤ 1) → `max(1, round(r · n))`, halves rounding up (`Math.round`).
 * - `energy: τ` (0 < τ ≤ 1) → the smallest K whose captured-energy fraction is ≥ τ, clamped to
 *   `[minKeep, maxKeep]` (defaults 1 and n; both clipped to n).
 *
 * @param n - token count, integer ≥ 1
 * @param budget - {@link BudgetOptions} (other keys of a larger options object are ignored)
 * @returns the {@link ResolvedBudget}
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` for no budget, two budgets, values out
 *   of range, `minKeep > maxKeep`, or `minKeep`/`maxKeep` without `energy`; `E_EMPTY_INPUT` when
 *   `n` is not a positive integer
 * @example
 * ```ts
 * import { resolveBudget } from '@resprune/selector';
 * resolveBudget(576, { ratio: 0.25 }); // { kind: 'count', count: 144, from: 'ratio' }
 * resolveBudget(576, { energy: 0.9, maxKeep: 192 }); // { kind: 'energy', target: 0.9, minKeep: 1, maxKeep: 192 }
 * ```
 */
export function resolveBudget(n: number, budget: BudgetOptions): ResolvedBudget {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ResPruneError('E_EMPTY_INPUT', `resolveBudget: the token count must be an integer >= 1, got ${String(n)}`);
  }
  if (budget === null || typeof budget !== 'object') throw budgetError(`a budget object is required ({ keep }, { ratio } or { energy }), got ${String(budget)}`);
  // The one budget validator of the project (`@resprune/backbones`), on the budget's own keys.
  const { keep, ratio, energy, minKeep, maxKeep } = budget;
  validateBudget({
    ...(keep === undefined ? {} : { keep }),
    ...(ratio === undefined ? {} : { ratio }),
    ...(energy === undefined ? {} : { energy }),
    ...(minKeep === undefined ? {} : { minKeep }),
    ...(maxKeep === undefined ? {} : { maxKeep }),
  } as Budget);
  if (keep !== undefined) return { kind: 'count', count: Math.min(keep, n), from: 'keep' };
  if (ratio !== undefined) return { kind: 'count', count: Math.min(n, Math.max(1, Math.round(ratio * n))), from: 'ratio' };
  const lo = minKeep ?? 1;
  const hi = maxKeep ?? n;
  return { kind: 'energy', target: energy!, minKeep: Math.min(lo, n), maxKeep: Math.min(hi, n) };
}
