import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import type { ImageTokenLayout } from './models/llava.js';

/**
 * A visual-token budget, as the selector takes it: keep K tokens, keep a fraction, or keep the fewest tokens
 * whose captured energy reaches τ (optionally bounded).
 */
export type PruneBudget =
  | { readonly keep: number }
  | { readonly ratio: number }
  | { readonly energy: number; readonly min?: number; readonly max?: number };

/** What a selector is called with for one image. */
export interface SelectorCall {
  /** The budget. */
  readonly budget: PruneBudget;
  /** Method name (`resprune`, `random`, `divprune`, ... as the selector registers them). */
  readonly method: string;
  /** Text weighting exponent α, when the request set one. */
  readonly alpha?: number;
  /** Text vectors `[M, hidden]` in the LLM embedding space, when available. */
  readonly text?: tf.Tensor2D;
}

/**
 * Chooses visual tokens: receives the candidate tokens `[N, hidden]` (projected, in the LLM input-embedding
 * space) and returns the indices (0-based into the candidates) to keep, in any order. It must not dispose
 * its inputs. `@resprune/selector` provides the methods.
 */
export type TokenSelector = (candidates: tf.Tensor2D, call: SelectorCall) => Promise<ArrayLike<number>> | ArrayLike<number>;

/**
 * What happens to LLaVA-NeXT `image_newline` tokens when pruning: `drop` removes them, `keep` keeps all of them,
 * `keep-rows` (default) keeps a row's newline when at least one token of that row is kept, `select` makes them
 * ordinary candidates.
 */
export type NewlineRule = 'drop' | 'keep' | 'keep-rows' | 'select';

/** Result of {@link planPruning}. */
export interface PruningPlan {
  /** Kept indices within the image span, ascending. */
  readonly kept: Int32Array;
  /** Candidates given to the selector. */
  readonly candidates: number;
  /** Candidates the selector kept. */
  readonly selected: number;
}

/**
 * Checks a budget's numbers.
 *
 * @param budget - the budget
 * @returns the same budget
 * @throws {@link ResPruneError} `E_BUDGET` when `keep` is not a positive integer, `ratio` not in (0, 1],
 *   `energy` not in (0, 1], or min/max inconsistent
 * @example
 * ```ts
 * checkBudget({ keep: 128 });
 * ```
 */
export function checkBudget(budget: PruneBudget): PruneBudget {
  if ('keep' in budget) {
    if (!Number.isSafeInteger(budget.keep) || budget.keep < 1) throw new ResPruneError('E_BUDGET', `budget: keep must be an integer >= 1, got ${budget.keep}.`);
  } else if ('ratio' in budget) {
    if (!(budget.ratio > 0 && budget.ratio <= 1)) throw new ResPruneError('E_BUDGET', `budget: ratio must be in (0, 1], got ${budget.ratio}.`);
  } else if ('energy' in budget) {
    if (!(budget.energy > 0 && budget.energy <= 1)) throw new ResPruneError('E_BUDGET', `budget: energy must be in (0, 1], got ${budget.energy}.`);
    const { min, max } = budget;
    if (min !== undefined && !(Number.isSafeInteger(min) && min >= 1)) throw new ResPruneError('E_BUDGET', `budget: min must be an integer >= 1, got ${min}.`);
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 1)) throw new ResPruneError('E_BUDGET', `budget: max must be an integer >= 1, got ${max}.`);
    if (min !== undefined && max !== undefined && min > max) throw new ResPruneError('E_BUDGET', `budget: min ${min} exceeds max ${max}.`);
  } else {
    throw new ResPruneError('E_BUDGET', `budget: expected { keep }, { ratio } or { energy }, got ${JSON.stringify(budget)}.`);
  }
  return budget;
}

/**
 * The pruning hook between projector and LLM for one image: picks the candidates from the layout (LLaVA-NeXT
 * newlines per `newlines`), runs the selector on them, and maps its picks back to ascending indices within the
 * image span.
 *
 * @param visual - projected image tokens `[tokens, hidden]` (not disposed)
 * @param layout - the image's token layout
 * @param budget - the budget
 * @param options - selector, method, α, text vectors, newline rule
 * @returns kept span indices and counts
 * @throws {@link ResPruneError} `E_BUDGET` for a bad budget, `E_INTERNAL` when the selector returns invalid indices
 * @example
 * ```ts
 * const plan = await planPruning(visual, layout, { keep: 64 }, { selector, method: 'resprune', newlines: 'keep-rows' });
 * ```
 */
export async function planPruning(
  visual: tf.Tensor2D,
  layout: ImageTokenLayout,
  budget: PruneBudget,
  options: { selector: TokenSelector; method: string; alpha?: number; text?: tf.Tensor2D; newlines: NewlineRule },
): Promise<PruningPlan> {
  checkBudget(budget);
  const n = layout.tokens;
  const isNewline = new Uint8Array(n);
  for (const i of layout.newlineIndices) isNewline[i] = 1;
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (options.newlines === 'select' || !isNewline[i]) candidates.push(i);
  const cand = candidates.length === n ? visual : tf.tidy(() => tf.gather(visual, tf.tensor1d(candidates, 'int32')) as tf.Tensor2D);
  let picks: ArrayLike<number>;
  try {
    picks = await options.selector(cand, {
      budget,
      method: options.method,
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      ...(options.text === undefined ? {} : { text: options.text }),
    });
  } finally {
    if (cand !== visual) cand.dispose();
  }
  const keep = new Uint8Array(n);
  let selected = 0;
  for (let j = 0; j < picks.length; j++) {
    const c = picks[j]!;
    if (!Number.isSafeInteger(c) || c < 0 || c >= candidates.length || keep[candidates[c]!]) {
      throw new ResPruneError('E_INTERNAL', `planPruning: selector returned an invalid or repeated index ${c} (of ${candidates.length} candidates).`);
    }
    keep[candidates[c]!] = 1;
    selected++;
  }
  if (selected === 0) throw new ResPruneError('E_INTERNAL', 'planPruning: selector kept no token.');
  if (options.newlines === 'keep') for (const i of layout.newlineIndices) keep[i] = 1;
  if (options.newlines === 'keep-rows' && layout.unpadded !== null) {
    const w = layout.unpadded[1];
    for (let r = 0; r < layout.newlineIndices.length; r++) {
      const start = layout.baseTokens + r * (w + 1);
      for (let c = 0; c < w; c++) {
        if (keep[start + c]) {
          keep[start + w] = 1;
          break;
        }
      }
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) kept.push(i);
  return { kept: Int32Array.from(kept), candidates: candidates.length, selected };
}
