import { ResPruneError } from '@resprune/errors';
import type { Budget } from '@resprune/backbones';
import { parseNumber, usageError } from './io.js';

/** The budget given on the command line, in the one `Budget` vocabulary of the library (energy bounds inside). */
export interface CliBudgetChoice {
  /** The budget, or undefined when none was given (and none was required). */
  readonly budget: Budget | undefined;
}

/** The flag values {@link budgetFromFlags} reads. */
export interface BudgetFlagValues {
  readonly keep?: string | undefined;
  readonly ratio?: string | undefined;
  readonly energy?: string | undefined;
  readonly 'min-keep'?: string | undefined;
  readonly 'max-keep'?: string | undefined;
}

/**
 * The one budget reader of the CLI: --keep / --ratio / --energy (exactly one when `required`, at most
 * one otherwise) and --min-keep / --max-keep, which only apply to --energy. Numbers are parsed
 * strictly; their ranges are checked by the selector or pipeline (E_BUDGET).
 */
export function budgetFromFlags(values: BudgetFlagValues, { required = true } = {}): CliBudgetChoice {
  const keep = parseNumber('keep', values.keep, { integer: true });
  const ratio = parseNumber('ratio', values.ratio);
  const energy = parseNumber('energy', values.energy);
  const minKeep = parseNumber('min-keep', values['min-keep'], { integer: true });
  const maxKeep = parseNumber('max-keep', values['max-keep'], { integer: true });
  const given = [keep, ratio, energy].filter((v) => v !== undefined).length;
  if (given > 1 || (required && given === 0)) {
    throw new ResPruneError('E_BUDGET', `give ${required ? 'exactly' : 'at most'} one budget: --keep K, --ratio R or --energy E (got ${given})`);
  }
  if ((minKeep !== undefined || maxKeep !== undefined) && energy === undefined) {
    throw usageError('--min-keep / --max-keep only apply to --energy');
  }
  const bounds = { ...(minKeep === undefined ? {} : { minKeep }), ...(maxKeep === undefined ? {} : { maxKeep }) };
  if (keep !== undefined) return { budget: { keep } };
  if (ratio !== undefined) return { budget: { ratio } };
  if (energy !== undefined) return { budget: { energy, ...bounds } };
  return { budget: undefined };
}

/** The parseArgs options of a budget ({@link budgetFromFlags}). */
export const BUDGET_FLAGS = {
  keep: { type: 'string' },
  ratio: { type: 'string' },
  energy: { type: 'string' },
} as const;

/** Bounds of an energy budget. */
export const ENERGY_BOUND_FLAGS = {
  'min-keep': { type: 'string' },
  'max-keep': { type: 'string' },
} as const;
