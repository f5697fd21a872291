/**
 * The benchmark page (bench.html): times ResPrune's fast greedy (`@resprune/linalg`'s WebAssembly
 * SIMD engine) in this browser on the same seeded inputs as the Node benchmark
 * (apps/benchmark: `visual = syntheticTokens(n, d, seed)`, `text = syntheticTokens(8, d, seed + 1000, 24)`,
 * `keep: k, alpha: 1, normalize: 'none'`). `window.resprunebench.run(request)` is what
 * apps/benchmark/src/browser.ts calls through playwright; the form on the page calls the same.
 *
 * The timed region is `engine.select` alone, from the Float32Array inputs to the result: inputs
 * are generated (and kept for the next request of the same shape) before any timing starts, and
 * each engine is created, warmed up and cached per mode before its first timed run.
 */
import './style.css';
import { ResPruneError } from '@resprune/errors';
import { createFastEngine, type FastEngine, type FastEngineKind } from '@resprune/linalg';
import { syntheticTokens } from '@resprune/synthetic-tokens';

/** Engine variants the page can time: `threads` throws `E_WASM_UNAVAILABLE` on a page that is not cross-origin isolated. */
export const BENCH_MODES = ['threads', 'single', 'auto'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

/** One timing request. */
export interface BenchRequest {
  /** Visual tokens N. */
  readonly n: number;
  /** Features d. */
  readonly d: number;
  /** Tokens to keep K. */
  readonly k: number;
  /** Seed of the synthetic tokens (the text vectors use `seed + 1000`). */
  readonly seed: number;
  /** Timed runs after one untimed warm-up run. */
  readonly repeat: number;
  /** Engine variant. */
  readonly mode: BenchMode;
}

/** What a request measured. */
export interface BenchResult {
  /** Best of the timed runs, milliseconds. */
  readonly ms: number;
  /** Every timed run in order, milliseconds. */
  readonly runs: number[];
  /** The engine variant that ran the last run. */
  readonly kind: FastEngineKind;
  /** Threads that shared the last run. */
  readonly threads: number;
  /** Pick order of the last run. */
  readonly order: number[];
  /** Whether this page is cross-origin isolated (threads need it). */
  readonly crossOriginIsolated: boolean;
}

/** The page's API, on `window.resprunebench`. */
export interface BenchApi {
  run(request: BenchRequest): Promise<BenchResult>;
}

declare global {
  interface Window {
    resprunebench: BenchApi;
  }
}

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

async function runOnce(request: BenchRequest): Promise<BenchResult> {
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
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
}

/** Requests run one after another, never interleaved (they share the engines and the cores). */
let queue: Promise<unknown> = Promise.resolve();

window.resprunebench = {
  run(request) {
    const next = queue.then(() => runOnce(request));
    queue = next.catch(() => undefined);
    return next;
  },
};

// ---- the form --------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

const form = $<HTMLFormElement>('bench-form');
const status = $('bench-status');
const rows = $<HTMLTableSectionElement>('bench-rows');
const runButton = $<HTMLButtonElement>('bench-run');

status.textContent =
  `${globalThis.crossOriginIsolated === true ? 'Cross-origin isolated: threads available' : 'Not cross-origin isolated: one WebAssembly thread only'}; ` +
  `navigator.hardwareConcurrency = ${navigator.hardwareConcurrency}.`;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = (id: string): number => Number($<HTMLInputElement>(id).value);
  const request: BenchRequest = {
    n: value('bench-n'),
    d: value('bench-d'),
    k: value('bench-k'),
    seed: value('bench-seed'),
    repeat: value('bench-repeat'),
    mode: $<HTMLSelectElement>('bench-mode').value as BenchMode,
  };
  runButton.disabled = true;
  const row = rows.insertRow(0);
  const cells = [`${request.n} × ${request.d}, K = ${request.k}, seed ${request.seed}`, request.mode, 'running…', '', ''];
  for (const text of cells) row.insertCell().textContent = text;
  window.resprunebench.run(request).then(
    (r) => {
      row.cells[2]!.textContent = `${r.ms.toFixed(2)} ms`;
      row.cells[3]!.textContent = `${r.kind}, ${r.threads} thread${r.threads === 1 ? '' : 's'}`;
      row.cells[4]!.textContent = r.runs.map((ms) => ms.toFixed(1)).join(', ');
    },
    (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      row.cells[2]!.textContent = `failed: ${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
    },
  ).finally(() => {
    runButton.disabled = false;
  });
});

document.body.dataset['ready'] = 'true';
