import { ResPruneError } from '@resprune/errors';
import { parseNumber } from './io.js';

/** Exactly one budget, as given on the command line. */
export type CliBudget = { readonly keep: number } | { readonly ratio: number } | { readonly energy: number };

/** Reads --keep / --ratio / --energy; exactly one must be present. */
export function budgetFromFlags(values: { keep?: string | undefined; ratio?: string | undefined; energy?: string | undefined }): CliBudget {
  const keep = parseNumber('keep', values.keep, { integer: true });
  const ratio = parseNumber('ratio', values.ratio);
  const energy = parseNumber('energy', values.energy);
  const given = [keep, ratio, energy].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ResPruneError('E_BUDGET', `give exactly one budget: --keep K, --ratio R or --energy E (got ${given})`);
  }
  if (keep !== undefined) return { keep };
  if (ratio !== undefined) return { ratio };
  return { energy: energy! };
}

/** The parseArgs options of a budget: exactly one of them must be given ({@link budgetFromFlags}). */
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
