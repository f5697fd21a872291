import { isResPruneError, ResPruneError } from '@resprune/errors';

/** Where a command writes; the CLI passes process streams, tests pass collectors. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly isTTY?: boolean;
}

/** A command: parses its own argv and returns the exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Exit code for bad input of any kind (usage, files, values). */
export const EXIT_BAD_INPUT = 2;

/** A usage problem (unknown option, missing value); printed as one line, exit 2. */
export function usageError(message: string): ResPruneError {
  return new ResPruneError('E_INVALID_OPTION', message);
}

/**
 * Turns any error into one line on stderr and an exit code: 2 for bad input (typed errors and
 * argument-parsing errors), 1 for anything unexpected (a bug; the stack goes to stderr too).
 */
export function reportError(error: unknown, io: CliIO, command: string): number {
  if (isResPruneError(error)) {
    io.stderr(`resprune ${command}: ${error.code}: ${oneLine(error.message)}\n`);
    return EXIT_BAD_INPUT;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr(`resprune ${command}: E_INVALID_OPTION: ${oneLine((error as Error).message)}\n`);
    return EXIT_BAD_INPUT;
  }
  io.stderr(`resprune ${command}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Parses a number option strictly ("12abc" and "" are errors). */
export function parseNumber(name: string, raw: string | undefined, { integer = false } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw usageError(`--${name} expects ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
  }
  return value;
}

/** Parses one of a fixed set of words. */
export function parseChoice<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw usageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** A one-line progress bar on stderr, redrawn in place on a terminal and printed at 100 % otherwise. */
export function progressBar(io: CliIO, label: string): (fraction: number, message?: string) => void {
  let last = -1;
  return (fraction, message) => {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    if (pct === last) return;
    last = pct;
    if (io.isTTY === true) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      io.stderr(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}%${message ? ` ${message}` : ''}\x1b[K`);
      if (pct === 100) io.stderr('\n');
    } else if (pct === 0 || pct === 100) {
      io.stderr(`${label}: ${pct}%${message ? ` ${message}` : ''}\n`);
    }
  };
}

/** The parseArgs options every command has. */
export const OUTPUT_FLAGS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
