import { ResPruneError } from '@resprune/errors';
import { tokenInfo } from './layout.js';
import type { BudgetPolicy, NewlinePolicy, VisualLayout } from './types.js';

/**
 * One budget for all of a prompt's visual tokens, as given by a user (the CLI's `--keep`, `--ratio`,
 * `--energy`).
 *
 * - `keep: K` keeps K tokens in total (K ≥ the candidates keeps all).
 * - `ratio: f` keeps a fraction 0 < f ≤ 1.
 * - `energy: τ` lets the selector keep the fewest tokens capturing fraction τ of each unit's energy,
 *   bounded by `minKeep`/`maxKeep` (applied per unit).
 *
 * @example
 * ```ts
 * const budget: Budget = { keep: 128 };
 * ```
 */
export type Budget =
  | { readonly keep: number }
  | { readonly ratio: number }
  | { readonly energy: number; readonly minKeep?: number; readonly maxKeep?: number };

/**
 * The budget of one unit, ready to pass to a selector (`{ ...options, ...unit.budget }`).
 *
 * @example
 * ```ts
 * const b: UnitBudget = { keep: 32 };
 * ```
 */
export type UnitBudget =
  | { readonly keep: number }
  | { readonly energy: number; readonly minKeep: number; readonly maxKeep?: number };

/**
 * Options of {@link planBudget}.
 *
 * @example
 * ```ts
 * const options: PlanOptions = { policy: 'per-crop', newlines: 'drop', minTokens: 4 };
 * ```
 */
export interface PlanOptions {
  /** How the budget is split inside an image (default: the adapter's, see {@link VisualLayout.defaults}). */
  readonly policy?: BudgetPolicy;
  /** What happens to newline tokens (default: the adapter's). */
  readonly newlines?: NewlinePolicy;
  /** Minimum tokens kept per unit (capped by the unit's size); default 1, 0 disables the guard. */
  readonly minTokens?: number;
}

/**
 * One selection unit: a set of candidate tokens and its own budget. The selector runs once per unit
 * on the rows `candidates` of the visual token matrix.
 *
 * @example
 * ```ts
 * for (const unit of plan.units) console.log(unit.label, unit.candidates.length, unit.budget);
 * ```
 */
export interface BudgetUnit {
  /** Image index. */
  readonly image: number;
  /** View index in the layout (`per-view`, `per-crop`); undefined for a whole image (`global`). */
  readonly view: number | undefined;
  /** Crop index inside a tiled view (`per-crop`); else undefined. */
  readonly crop: number | undefined;
  /** Human-readable name, e.g. `image 0`, `image 0 base`, `image 0 crops[3]`. */
  readonly label: string;
  /** Candidate visual token indices (into the whole layout), ascending. */
  readonly candidates: readonly number[];
  /** This unit's budget. */
  readonly budget: UnitBudget;
}

/**
 * The result of {@link planBudget}: units with quotas, and the rules they were made with.
 *
 * @example
 * ```ts
 * const plan = planBudget(layout, { ratio: 0.25 });
 * plan.units.length; plan.total;
 * ```
 */
export interface BudgetPlan {
  /** The layout planned for. */
  readonly layout: VisualLayout;
  /** The budget as given. */
  readonly budget: Budget;
  /** The policy used. */
  readonly policy: BudgetPolicy;
  /** The newline rule used. */
  readonly newlines: NewlinePolicy;
  /** The minimum-tokens guard used. */
  readonly minTokens: number;
  /** Selection units (units without candidates are left out). */
  readonly units: readonly BudgetUnit[];
  /** Number of candidate tokens over all units. */
  readonly candidates: number;
  /** Sum of the `keep` quotas, or undefined for an energy budget. */
  readonly total: number | undefined;
}

const POLICIES: readonly BudgetPolicy[] = ['global', 'per-view', 'per-crop'];
const NEWLINES: readonly NewlinePolicy[] = ['drop', 'keep', 'keep-rows', 'select'];

function budgetError(message: string): ResPruneError {
  return new ResPruneError('E_BUDGET', message);
}

/**
 * Checks a budget and returns it in canonical form.
 *
 * @param budget - the budget to check
 * @returns the same budget
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` when not exactly one of keep/ratio/energy is
 *   given, or a value is out of range (keep: integer ≥ 1; ratio, energy: 0 < x ≤ 1; minKeep,
 *   maxKeep: integers ≥ 1 with minKeep ≤ maxKeep)
 * @example
 * ```ts
 * validateBudget({ ratio: 0.25 }); // ok
 * validateBudget({ keep: 0 });     // throws E_BUDGET
 * ```
 */
export function validateBudget(budget: Budget): Budget {
  const b = (budget ?? {}) as { keep?: unknown; ratio?: unknown; energy?: unknown; minKeep?: unknown; maxKeep?: unknown };
  const given = (['keep', 'ratio', 'energy'] as const).filter((k) => b[k] !== undefined);
  if (given.length !== 1) {
    throw budgetError(`give exactly one budget: keep, ratio or energy (got ${given.length === 0 ? 'none' : given.join(', ')})`);
  }
  if (b.keep !== undefined) {
    if (typeof b.keep !== 'number' || !Number.isSafeInteger(b.keep) || b.keep < 1) {
      throw budgetError(`keep must be an integer >= 1, got ${String(b.keep)}`);
    }
  } else {
    const name = b.ratio !== undefined ? 'ratio' : 'energy';
    const value = b[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
      throw budgetError(`${name} must be a number in (0, 1], got ${String(value)}`);
    }
  }
  for (const bound of ['minKeep', 'maxKeep'] as const) {
    const v = b[bound];
    if (v === undefined) continue;
    if (b.energy === undefined) throw budgetError(`${bound} applies to energy budgets only`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw budgetError(`${bound} must be an integer >= 1, got ${String(v)}`);
    }
  }
  if (typeof b.minKeep === 'number' && typeof b.maxKeep === 'number' && b.minKeep > b.maxKeep) {
    throw budgetError(`minKeep (${b.minKeep}) must not exceed maxKeep (${b.maxKeep})`);
  }
  return budget;
}

/**
 * ⌈x⌉ that forgives floating-point noise: products within 1e-9 (relative) above an integer count as
 * that integer, so 100 × 0.07 = 7.000000000000001 gives 7, not 8.
 *
 * @param x - a non-negative number
 * @returns the ceiling
 * @example
 * ```ts
 * ceilQuota(100 * 0.07); // 7
 * ceilQuota(576 * 0.2);  // 116
 * ```
 */
export function ceilQuota(x: number): number {
  return Math.max(0, Math.ceil(x - 1e-9 * Math.max(1, Math.abs(x))));
}

interface Group {
  image: number;
  view: number | undefined;
  crop: number | undefined;
  label: string;
  candidates: number[];
}

function groupCandidates(layout: VisualLayout, policy: BudgetPolicy, newlines: NewlinePolicy): Group[] {
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  for (const view of layout.views) {
    const crops = policy === 'per-crop' ? view.crops : undefined;
    for (let i = view.start; i < view.start + view.length; i++) {
      const info = view.newlineAfterRow || crops !== undefined ? tokenInfo(layout, i) : undefined;
      if (info?.newline === true && newlines !== 'select') continue;
      let key: string;
      let group: Omit<Group, 'candidates'>;
      if (policy === 'global') {
        key = `${view.image}`;
        group = { image: view.image, view: undefined, crop: undefined, label: `image ${view.image}` };
      } else if (crops !== undefined) {
        key = `${view.image}/${view.index}/${info!.crop}`;
        group = { image: view.image, view: view.index, crop: info!.crop, label: `image ${view.image} ${view.name}[${info!.crop}]` };
      } else {
        key = `${view.image}/${view.index}`;
        group = { image: view.image, view: view.index, crop: undefined, label: `image ${view.image} ${view.name}` };
      }
      let g = groups.get(key);
      if (g === undefined) {
        g = { ...group, candidates: [] };
        groups.set(key, g);
        order.push(g);
      }
      g.candidates.push(i);
    }
  }
  // Crops of one view are visited row by row; order units by image, view, crop, and keep candidates ascending.
  return order.sort((a, b) => a.image - b.image || (a.view ?? -1) - (b.view ?? -1) || (a.crop ?? -1) - (b.crop ?? -1));
}

/**
 * Splits one budget into per-image (and, by policy, per-view or per-crop) quotas, so that every image
 * of a multi-image prompt gets its share: a unit of n candidates keeps ⌈n × f⌉ tokens, f being the
 * keep fraction (`ratio`, or `keep / candidates`), at least `min(minTokens, n)` and at most n. With
 * `keep: K` the quotas may add up to slightly more than K (at most one extra token per unit), never
 * less. Energy budgets give each unit the same τ with `minKeep` raised to the guard.
 *
 * Newline tokens are candidates only under the `select` rule.
 *
 * @param layout - the visual layout of the prompt's images
 * @param budget - the user's budget
 * @param options - policy, newline rule and minimum-tokens guard (defaults from the layout)
 * @returns the plan
 * @throws {@link @resprune/errors!ResPruneError} `E_BUDGET` for an invalid budget or guard;
 *   `E_INVALID_OPTION` for an unknown policy or newline rule
 * @example
 * ```ts
 * const plan = planBudget(layout, { keep: 128 }, { policy: 'global' });
 * const kept = selectWithPlan(plan, (unit) => mySelector(unit.candidates, unit.budget));
 * ```
 */
export function planBudget(layout: VisualLayout, budget: Budget, options: PlanOptions = {}): BudgetPlan {
  validateBudget(budget);
  const policy = options.policy ?? layout.defaults.policy;
  const newlines = options.newlines ?? layout.defaults.newlines;
  const minTokens = options.minTokens ?? 1;
  if (!POLICIES.includes(policy)) {
    throw new ResPruneError('E_INVALID_OPTION', `budget policy must be one of ${POLICIES.join(', ')}, got "${String(policy)}"`);
  }
  if (!NEWLINES.includes(newlines)) {
    throw new ResPruneError('E_INVALID_OPTION', `newline rule must be one of ${NEWLINES.join(', ')}, got "${String(newlines)}"`);
  }
  if (!Number.isSafeInteger(minTokens) || minTokens < 0) {
    throw budgetError(`minTokens must be an integer >= 0, got ${String(minTokens)}`);
  }
  const groups = groupCandidates(layout, policy, newlines);
  const candidates = groups.reduce((s, g) => s + g.candidates.length, 0);
  const b = budget as { keep?: number; ratio?: number; energy?: number; minKeep?: number; maxKeep?: number };
  const units: BudgetUnit[] = groups.map((g) => {
    const n = g.candidates.length;
    const floor = Math.min(minTokens, n);
    let unitBudget: UnitBudget;
    if (b.energy !== undefined) {
      const minKeep = Math.min(n, Math.max(floor, b.minKeep ?? 1, 1));
      unitBudget =
        b.maxKeep === undefined
          ? { energy: b.energy, minKeep }
          : { energy: b.energy, minKeep, maxKeep: Math.min(n, Math.max(minKeep, b.maxKeep)) };
    } else {
      let q: number;
      if (b.keep !== undefined) {
        // Exact integer ceiling of n·K/T (no floating point).
        q = b.keep >= candidates ? n : Math.floor((n * b.keep + candidates - 1) / candidates);
      } else {
        q = ceilQuota(n * b.ratio!);
      }
      unitBudget = { keep: Math.min(n, Math.max(q, floor)) };
    }
    return { image: g.image, view: g.view, crop: g.crop, label: g.label, candidates: g.candidates, budget: unitBudget };
  });
  const total = b.energy !== undefined ? undefined : units.reduce((s, u) => s + (u.budget as { keep: number }).keep, 0);
  return { layout, budget, policy, newlines, minTokens, units, candidates, total };
}

/**
 * Turns each unit's picks (indices into `unit.candidates`, as a selector returns them for the rows it
 * was given) into one ascending list of visual token indices, checking every pick.
 *
 * @param plan - the plan the picks were made for
 * @param picks - one array per unit, in `plan.units` order, of local indices
 * @returns kept visual token indices (into the whole layout), ascending
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the number of arrays differs from
 *   the units; `E_INVALID_OPTION` for an index out of range or repeated; `E_BUDGET` when a unit got a
 *   count its budget does not allow
 * @example
 * ```ts
 * const kept = mergeSelections(plan, plan.units.map((u) => [0, 1]));
 * ```
 */
export function mergeSelections(plan: BudgetPlan, picks: ReadonlyArray<ArrayLike<number>>): number[] {
  if (picks.length !== plan.units.length) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `expected picks for ${plan.units.length} units, got ${picks.length}`);
  }
  const kept: number[] = [];
  plan.units.forEach((unit, u) => {
    const local = picks[u]!;
    const n = unit.candidates.length;
    const seen = new Set<number>();
    for (let j = 0; j < local.length; j++) {
      const i = local[j]!;
      if (!Number.isSafeInteger(i) || i < 0 || i >= n) {
        throw new ResPruneError('E_INVALID_OPTION', `${unit.label}: pick ${i} is out of range [0, ${n})`);
      }
      if (seen.has(i)) throw new ResPruneError('E_INVALID_OPTION', `${unit.label}: pick ${i} appears twice`);
      seen.add(i);
      kept.push(unit.candidates[i]!);
    }
    const b = unit.budget as { keep?: number; minKeep?: number; maxKeep?: number };
    if (b.keep !== undefined && local.length !== b.keep) {
      throw budgetError(`${unit.label}: its quota is ${b.keep} tokens but ${local.length} were picked`);
    }
    if (b.keep === undefined && (local.length < b.minKeep! || (b.maxKeep !== undefined && local.length > b.maxKeep))) {
      throw budgetError(
        `${unit.label}: ${local.length} tokens picked, outside the bounds [${b.minKeep}, ${b.maxKeep ?? n}] of its energy budget`,
      );
    }
  });
  return kept.sort((a, c) => a - c);
}

/**
 * Runs a selector once per unit and merges the results ({@link mergeSelections}).
 *
 * @param plan - the plan
 * @param select - called with each unit and its index; returns local indices into `unit.candidates`
 * @returns kept visual token indices, ascending
 * @throws {@link @resprune/errors!ResPruneError} as {@link mergeSelections} does
 * @example
 * ```ts
 * // keep the first `keep` candidates of every unit
 * const kept = selectWithPlan(plan, (unit) => Array.from({ length: (unit.budget as { keep: number }).keep }, (_, i) => i));
 * ```
 */
export function selectWithPlan(
  plan: BudgetPlan,
  select: (unit: BudgetUnit, index: number) => ArrayLike<number>,
): number[] {
  return mergeSelections(
    plan,
    plan.units.map((unit, u) => select(unit, u)),
  );
}
