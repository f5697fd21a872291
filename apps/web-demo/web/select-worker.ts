/**
 * The select worker: runs the selector (ResPrune and every peer registered with it) on the tfjs cpu
 * backend, off the page's thread. ResPrune's greedy runs on the `@resprune/linalg` fast path: the
 * WebAssembly SIMD kernel on nested worker threads sharing memory when the page is cross-origin
 * isolated, else on this worker's thread alone; where neither starts, the plain tfjs kernels stay.
 * The page can terminate this worker at any time to cancel a slow run (its nested threads go with it).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createFastEngine, registerFastKernels, registerKernels, type FastEngine } from '@resprune/linalg';
import { methods, selectWith } from '@resprune/selector';
import { toWireError, workerScope, type SelectEngineInfo, type SelectRequest, type SelectResponse } from './protocol.js';

const scope = workerScope<SelectRequest, SelectResponse>();

interface Dataset {
  readonly id: number;
  readonly visual: { readonly data: Float32Array; readonly shape: readonly [number, number] };
  readonly text: { readonly data: Float32Array; readonly shape: readonly [number, number] } | undefined;
  readonly grid: { readonly rows: number; readonly cols: number };
}

/** How long an engine may take to start (compile, spawn its threads, warm up) before the next variant is tried. */
const ENGINE_START_MS = 20_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `createFastEngine` with a deadline: a thread that never answers must not leave the page without a selector. */
async function startEngine(mode: 'auto' | 'single'): Promise<FastEngine> {
  const starting = createFastEngine({ mode });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // a late engine is stopped as soon as it arrives
      starting.then((late) => late.dispose(), () => undefined);
      reject(new Error(`the ${mode === 'auto' ? 'threaded ' : ''}WebAssembly engine did not start within ${ENGINE_START_MS / 1000} s`));
    }, ENGINE_START_MS);
  });
  try {
    return await Promise.race([starting, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts the fast greedy behind the selector's ResidualGreedy kernel: threads where the page allows
 * them, else one WebAssembly thread, else the plain kernels (registered first in every case: they
 * also serve the energy curves of peer methods, which the fast kernel hands back to them).
 */
async function useFastKernels(): Promise<SelectEngineInfo> {
  registerKernels();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  let failed: string | undefined;
  for (const mode of ['auto', 'single'] as const) {
    let engine: FastEngine;
    try {
      engine = await startEngine(mode);
    } catch (error) {
      failed ??= messageOf(error);
      continue;
    }
    try {
      await registerFastKernels(engine);
    } catch (error) {
      await engine.dispose();
      return { kind: 'plain', threads: 1, crossOriginIsolated: isolated, note: `the fast kernels could not be registered: ${messageOf(error)}` };
    }
    let note = failed;
    if (engine.kind === 'wasm' && note === undefined) {
      note = isolated ? `one core (navigator.hardwareConcurrency = ${navigator.hardwareConcurrency})` : 'page not cross-origin isolated';
    } else if (engine.kind === 'js') note ??= 'no WebAssembly SIMD in this browser';
    return { kind: engine.kind, threads: engine.threads, crossOriginIsolated: isolated, note };
  }
  return { kind: 'plain', threads: 1, crossOriginIsolated: isolated, note: failed };
}

let dataset: Dataset | undefined;
let engineInfo: SelectEngineInfo | undefined;
const ready = (async () => {
  if (!(await tf.setBackend('cpu'))) throw new Error("the tfjs 'cpu' backend failed to initialise");
  await tf.ready();
  engineInfo = await useFastKernels();
})();

function handle(msg: SelectRequest): void {
  if (msg.type === 'init') {
    const list = methods.names().map((name) => {
      const m = methods.get(name);
      return { name, description: m.description, optionNames: [...(m.optionNames ?? [])] };
    });
    scope.post({ type: 'ready', methods: list, backend: tf.getBackend(), engine: engineInfo! });
    return;
  }
  if (msg.type === 'dataset') {
    dataset = {
      id: msg.id,
      visual: { data: msg.visual, shape: [msg.n, msg.d] },
      text: msg.text === undefined || msg.m === 0 ? undefined : { data: msg.text, shape: [msg.m, msg.d] },
      grid: { rows: msg.rows, cols: msg.cols },
    };
    scope.post({ type: 'dataset', id: msg.id });
    return;
  }
  if (dataset?.id !== msg.dataset) {
    throw Object.assign(new Error(`token set ${msg.dataset} is not loaded in the select worker`), { code: 'E_INTERNAL' });
  }
  // Spatial methods (uniform) get the grid, so "evenly spread" means over the photo, not along the sequence.
  const takesGrid = (methods.get(msg.method).optionNames ?? []).includes('grid');
  const t0 = performance.now();
  const r = selectWith(msg.method, dataset.visual, {
    ...msg.budget,
    alpha: msg.alpha,
    normalize: msg.normalize,
    ...(dataset.text === undefined ? {} : { text: dataset.text }),
    ...(takesGrid ? { grid: dataset.grid } : {}),
  });
  const ms = performance.now() - t0;
  scope.post(
    { type: 'result', id: msg.id, method: r.method, kept: r.kept, order: r.order, scores: r.scores, energy: r.energy, ms },
    [...new Set([r.kept.buffer, r.order.buffer, r.scores.buffer, r.energy.buffer])],
  );
}

scope.listen((msg) => {
  ready.then(
    () => {
      try {
        handle(msg);
      } catch (error) {
        scope.post({ type: 'error', id: msg.type === 'select' ? msg.id : undefined, error: toWireError(error) });
      }
    },
    (error: unknown) => scope.post({ type: 'error', id: undefined, error: toWireError(error) }),
  );
});
