import { methods } from '@resprune/selector';
import { parseNumber, usageError } from './io.js';

/** The parseArgs options shared by every command that selects tokens with a named method. */
export const METHOD_FLAGS = {
  method: { type: 'string' },
  seed: { type: 'string' },
  grid: { type: 'string' },
  option: { type: 'string', multiple: true },
} as const;

/** Help lines for {@link METHOD_FLAGS}. */
export function methodHelp(): string {
  return [
    `  --method NAME         ${methods.names().join(' | ')} (default resprune)`,
    '  --seed S              seed of the random method (default 0)',
    '  --grid RxC            token grid for the uniform method (rows x cols = N)',
    '  --option KEY=VALUE    a method-specific option, repeatable (e.g. relevance=code for cdpruner,',
    '                        temperature=0.1 or textWeight=0.5 for mmtok, imagePivots=4 for dart)',
  ].join('\n');
}

/** The method name and its method-specific options, from the flags of {@link METHOD_FLAGS}. */
export interface MethodChoice {
  readonly method: string;
  readonly options: Record<string, unknown>;
}

/**
 * Reads --method, --seed, --grid and --option KEY=VALUE. Values that parse as numbers become
 * numbers; the method itself validates them (a bad value is a typed error naming the option).
 */
export function methodFromFlags(values: {
  method?: string | undefined;
  seed?: string | undefined;
  grid?: string | undefined;
  option?: string[] | undefined;
}): MethodChoice {
  const method = values.method ?? 'resprune';
  methods.get(method); // E_UNKNOWN_METHOD, listing the registered names, for an unknown method
  const options: Record<string, unknown> = {};
  for (const raw of values.option ?? []) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw usageError(`--option expects KEY=VALUE, got "${raw}"`);
    const value = raw.slice(eq + 1);
    const asNumber = value.trim() === '' ? Number.NaN : Number(value);
    options[raw.slice(0, eq)] = Number.isFinite(asNumber) ? asNumber : value;
  }
  const seed = parseNumber('seed', values.seed, { integer: true });
  if (seed !== undefined) options['seed'] = seed;
  if (values.grid !== undefined) options['grid'] = parseGrid(values.grid);
  return { method, options };
}

/** Parses `RxC` (rows x cols). */
export function parseGrid(text: string): { rows: number; cols: number } {
  const m = /^(\d+)[x×](\d+)$/.exec(text.trim());
  if (m === null) throw usageError(`--grid expects ROWSxCOLS such as 24x24, got "${text}"`);
  return { rows: Number(m[1]), cols: Number(m[2]) };
}
