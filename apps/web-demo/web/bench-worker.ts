/**
 * bench.html's worker: holds the fast engines and the seeded inputs, and times `engine.select`.
 * The engines run here rather than on the page's thread because that is where the demo runs them
 * (its select worker), and because a worker may block while it waits for its helper threads,
 * which the page's main thread may not.
 */
import { ResPruneError } from '@resprune/errors';
import { createFastEngine, type FastEngine } from '@resprune/linalg';
import { syntheticTokens } from '@resprune/synthetic-tokens';
import {
  BENCH_MODES,
  toWireError,
  workerScope,
  type BenchMode,
  type BenchRequest,
  type BenchResult,
  type BenchWorkerRequest,
  type BenchWorkerResponse,
} from './protocol.js';

const scope = workerScope<BenchWorkerRequest, BenchWorkerResponse>();
const engines = new Map<BenchMode, Promise<FastEngine>>();

/** One engine per mode, created on first use (a failed start is forgotten, so a later request retries). */
function engineFor(mode: BenchMode): Promise<FastEngine> {
  let engine = engines.get(mode);
  if (engine === undefined) {
    // threadsFrom 0: in mode 'threads' every shape is split over the threads, small ones too
    engine = createFastEngine(mode === 'threads' ? { mode, threadsFrom: 0 } : { mode });
    engines.set(mode, engine);
    engine.catch(() => engines.delete(mode));
  }
  return engine;
}

/** The last generated inputs (a benchmark asks for the same shape in several modes and rounds). */
let inputs: { key: string; visual: Float32Array; text: Float32Array } | undefined;

/** The Node benchmark's inputs (apps/benchmark/src/main.ts, `problem`). */
function inputsFor(n: number, d: number, seed: number): { visual: Float32Array; text: Float32Array } {
  const key = `${n}x${d}@${seed}`;
  if (inputs?.key !== key) {
    inputs = undefined; // let the old arrays go before the new ones are made
    inputs = { key, visual: syntheticTokens(n, d, seed), text: syntheticTokens(8, d, seed + 1000, 24) };
  }
  return inputs;
}

function checkRequest(request: BenchRequest): void {
  const bad = (what: string): never => {
    throw new ResPruneError('E_INVALID_OPTION', `resprunebench.run: ${what}, got ${JSON.stringify(request)}`);
  };
  if (typeof request !== 'object' || request === null) bad('the request must be an object { n, d, k, seed, repeat, mode }');
  for (const name of ['n', 'd', 'k', 'repeat'] as const) {
    const v = request[name];
    if (!Number.isInteger(v) || v < 1) bad(`${name} must be an integer ≥ 1`);
  }
  if (!Number.isInteger(request.seed)) bad('seed must be an integer');
  if (!(BENCH_MODES as readonly string[]).includes(request.mode)) bad(`mode must be one of ${BENCH_MODES.join(', ')}`);
}

async function run(request: BenchRequest): Promise<BenchResult> {
  checkRequest(request);
  const { n, d, k, seed, repeat, mode } = request;
  const engine = await engineFor(mode);
  const { visual, text } = inputsFor(n, d, seed);
  const options = { keep: k, text, alpha: 1, normalize: 'none' } as const;
  let last = engine.select(visual, n, d, options); // warm-up, untimed
  const runs: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    last = engine.select(visual, n, d, options);
    runs.push(performance.now() - t0);
  }
  return {
    ms: Math.min(...runs),
    runs,
    kind: last.stats.kind,
    threads: last.stats.threads,
    order: Array.from(last.order),
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}

// Requests run one after another, never interleaved (they share the engines and the cores).
let queue: Promise<unknown> = Promise.resolve();
scope.listen(({ id, request }) => {
  queue = queue.then(() =>
    run(request).then(
      (result) => scope.post({ id, result }),
      (error: unknown) => scope.post({ id, error: toWireError(error) }),
    ),
  );
});
