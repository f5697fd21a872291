/**
 * The benchmark page (bench.html): times ResPrune's fast greedy (`@resprune/linalg`'s WebAssembly
 * SIMD engine) in this browser on the same seeded inputs as the Node benchmark
 * (apps/benchmark: `visual = syntheticTokens(n, d, seed)`, `text = syntheticTokens(8, d, seed + 1000, 24)`,
 * `keep: k, alpha: 1, normalize: 'none'`). `window.resprunebench.run(request)` is what
 * apps/benchmark/src/browser.ts calls through playwright; the form on the page calls the same.
 *
 * The engines run in a dedicated worker (web/bench-worker.ts), as in the demo's select worker.
 * The timed region is `engine.select` alone, from the Float32Array inputs to the result: inputs
 * are generated (and kept for the next request of the same shape) before any timing starts, and
 * each engine is created, warmed up and cached per mode before its first timed run.
 */
import './style.css';
import type { BenchMode, BenchRequest, BenchResult, BenchWorkerRequest, BenchWorkerResponse } from './protocol.js';

/** The page's API, on `window.resprunebench`. */
export interface BenchApi {
  /** Runs one timing request; rejects with an Error carrying the ResPruneError `code` when it fails. */
  run(request: BenchRequest): Promise<BenchResult>;
}

declare global {
  interface Window {
    resprunebench: BenchApi;
  }
}

const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module', name: 'resprune-bench' });
const waiting = new Map<number, { resolve(r: BenchResult): void; reject(e: Error): void }>();
let nextId = 0;
worker.onmessage = (event: MessageEvent<BenchWorkerResponse>) => {
  const msg = event.data;
  const w = waiting.get(msg.id);
  waiting.delete(msg.id);
  if (w === undefined) return;
  if ('result' in msg) w.resolve(msg.result);
  else w.reject(Object.assign(new Error(msg.error.message), msg.error.code === undefined ? {} : { code: msg.error.code }));
};
worker.onerror = (event) => {
  event.preventDefault();
  const error = new Error(`the benchmark worker crashed: ${event.message || 'unknown error'}`);
  for (const w of waiting.values()) w.reject(error);
  waiting.clear();
};

window.resprunebench = {
  run(request) {
    const id = ++nextId;
    return new Promise<BenchResult>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, request } satisfies BenchWorkerRequest);
    });
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
