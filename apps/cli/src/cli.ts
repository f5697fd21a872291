#!/usr/bin/env node
import type { CliIO } from './io.js';
import { EXIT_BAD_INPUT, stdoutError } from './io.js';
import { main } from './main.js';

// stdout errors arrive asynchronously (as 'error' events and write callbacks). A reader that went
// away (EPIPE: `resprune ... | head`) ends the program quietly; any other failure (a full disk,
// /dev/full) is one line on stderr and exit 2, never an uncaught exception with a stack trace.
let stdoutFailure: unknown;
let readerGone = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    readerGone = true;
    return;
  }
  stdoutFailure ??= error;
});

// Ctrl-C and SIGTERM end the process at once (the default), which leaves nothing: every output is
// written to a temporary file first, and while temporary files exist emitOutputs traps the signals
// to remove them and exit 130 (E_ABORTED).

const io: CliIO = {
  stdout: (text) => {
    if (!readerGone && stdoutFailure === undefined) process.stdout.write(text);
  },
  stderr: (text) => void process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
  flush: () =>
    new Promise<void>((resolve, reject) => {
      if (stdoutFailure !== undefined) return reject(stdoutFailure);
      if (readerGone) return resolve();
      process.stdout.write('', (error) => {
        const failure = error ?? stdoutFailure;
        if (failure === undefined || failure === null || (failure as NodeJS.ErrnoException).code === 'EPIPE') resolve();
        else reject(failure);
      });
    }),
};

async function run(): Promise<number> {
  const code = await main(process.argv.slice(2), io);
  // Whatever a command printed must have reached stdout before the exit code says so.
  try {
    await io.flush!();
  } catch (error) {
    // A command that failed has said so already (one line); only a success turns into this failure.
    if (code !== 0) return code;
    process.stderr.write(`resprune: E_WRITE: ${stdoutError(error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  return code;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`resprune: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
