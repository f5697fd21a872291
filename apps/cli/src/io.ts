import { isResPruneError, ResPruneError } from '@resprune/errors';
import { stageFiles, type OutputFile } from '@resprune/node-files';

/** Where a command writes; the CLI passes process streams, tests pass collectors. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  readonly isTTY?: boolean;
  /**
   * Resolves once everything written to stdout has reached the OS; rejects with the write error
   * (a full disk, a failing device). A reader that went away (EPIPE, `| head`) is not an error.
   * Absent for collectors, which cannot fail.
   */
  flush?(): Promise<void>;
  /** When aborted, commands stop at their next step and write nothing (`E_ABORTED`). For embedding the CLI. */
  readonly signal?: AbortSignal;
}

/** A command: parses its own argv and returns the exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Exit code for bad input of any kind (usage, files, values). */
export const EXIT_BAD_INPUT = 2;

/** A usage problem (unknown option, missing value); printed as one line, exit 2. */
export function usageError(message: string): ResPruneError {
  return new ResPruneError('E_INVALID_OPTION', message);
}

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_ABORTED = 130;

/**
 * Turns any error into one line on stderr and an exit code: 2 for bad input (typed errors and
 * argument-parsing errors), 130 when cancelled (`E_ABORTED`), 1 for anything unexpected (a bug;
 * the stack goes to stderr too).
 */
export function reportError(error: unknown, io: CliIO, command: string): number {
  if (isResPruneError(error)) {
    io.stderr(`resprune ${command}: ${error.code}: ${oneLine(error.message)}\n`);
    return error.code === 'E_ABORTED' ? EXIT_ABORTED : EXIT_BAD_INPUT;
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

/** A progress bar on stderr, from {@link progressBar}. */
export interface ProgressBar {
  /**
   * Shows progress `fraction` (0–1) with an optional message. `step` names the current piece of
   * work (a weights file, say): off a terminal, a line is printed at 0 %, at 100 % and whenever
   * `step` changes; on a terminal the bar is redrawn in place.
   */
  update(fraction: number, message?: string, step?: string): void;
  /** Ends the bar (a newline after a bar drawn in place). Idempotent. */
  done(): void;
}

/** The one progress bar of the CLI: redrawn in place on a terminal, a few plain lines otherwise. */
export function progressBar(io: CliIO, label: string): ProgressBar {
  const width = 24;
  let last = -1;
  let lastStep: string | undefined;
  let open = false;
  const done = (): void => {
    if (open) io.stderr('\n');
    open = false;
  };
  const update = (fraction: number, message?: string, step?: string): void => {
    const pct = Math.max(0, Math.min(100, Math.floor((Number.isFinite(fraction) ? fraction : 1) * 100)));
    const text = message ? ` ${message}` : '';
    if (io.isTTY === true) {
      if (pct === last) return;
      const filled = Math.round((pct / 100) * width);
      io.stderr(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}%${text}\x1b[K`);
      open = true;
      if (pct === 100) done();
    } else if ((pct === 0 || pct === 100 || step !== lastStep) && pct !== last) {
      io.stderr(`${label}: ${pct}%${text}\n`);
    }
    last = pct;
    lastStep = step;
  };
  return { update, done };
}

/** Throws `E_ABORTED` when the command was cancelled (Ctrl-C); call it between steps. */
export function checkAborted(io: CliIO, command: string): void {
  if (io.signal?.aborted === true) {
    throw new ResPruneError('E_ABORTED', `${command}: cancelled; no output was written`, { cause: io.signal.reason });
  }
}

/**
 * Waits until stdout has taken everything written so far; a failed write becomes one typed error
 * (`E_WRITE`), a reader that went away (EPIPE) is not an error.
 */
export async function flushStdout(io: CliIO): Promise<void> {
  if (io.flush === undefined) return;
  try {
    await io.flush();
  } catch (cause) {
    throw stdoutError(cause);
  }
}

/** The typed error of a failed write to stdout. */
export function stdoutError(cause: unknown): ResPruneError {
  const errno = (cause as { code?: unknown } | null)?.code;
  const reason = errno === 'ENOSPC' ? 'no space left on the device (disk full)' : String(errno ?? (cause instanceof Error ? cause.message : cause));
  return new ResPruneError('E_WRITE', `cannot write to standard output: ${reason}`, { cause, details: { errno } });
}

/**
 * Ends a command that writes files: every file is written to a temporary file first, then the
 * text goes to stdout, and only when stdout has taken it are the files put in place. If anything
 * fails (a file, stdout, Ctrl-C), none of the command's files remain.
 *
 * Ctrl-C (SIGINT) and SIGTERM keep their default effect (the process ends at once) everywhere else:
 * a JavaScript handler could not run during a long synchronous computation anyway, and before this
 * point nothing has been written. Only while temporary files exist are the signals trapped, so that
 * they are removed before the command ends with `E_ABORTED` (exit 130).
 *
 * @param io - the command's streams
 * @param command - name for messages
 * @param files - the output files (may be empty)
 * @param text - what to print on stdout
 */
export async function emitOutputs(io: CliIO, command: string, files: readonly OutputFile[], text: string): Promise<void> {
  checkAborted(io, command);
  const interrupted = new AbortController();
  const onSignal = (): void => interrupted.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stop = (): void => {
    checkAborted(io, command);
    if (interrupted.signal.aborted) {
      throw new ResPruneError('E_ABORTED', `${command}: interrupted; no output was written`, { cause: interrupted.signal.reason });
    }
  };
  let staged: ReturnType<typeof stageFiles> | undefined;
  try {
    staged = stageFiles(files, { op: command, signal: interrupted.signal });
    io.stdout(text);
    await flushStdout(io);
    stop();
    staged.commit();
  } catch (e) {
    staged?.discard();
    if (interrupted.signal.aborted && !(isResPruneError(e) && e.code === 'E_ABORTED')) stop();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Parses an integer option with inclusive bounds (E_INVALID_OPTION names the flag and the range). */
export function parseBoundedInteger(name: string, raw: string | undefined, min: number, max: number, why = ''): number | undefined {
  const value = parseNumber(name, raw, { integer: true });
  if (value === undefined) return undefined;
  if (value < min || value > max) {
    throw usageError(`--${name} must be an integer from ${min} to ${max}${why}, got ${raw}`);
  }
  return value;
}

/** The parseArgs options every command has. */
export const OUTPUT_FLAGS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
