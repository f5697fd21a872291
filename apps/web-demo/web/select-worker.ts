/**
 * The select worker: runs the selector (ResPrune and every peer registered with it) on the tfjs cpu
 * backend, off the page's thread. The page can terminate it at any time to cancel a slow run.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { methods, selectWith } from '@resprune/selector';
import { toWireError, workerScope, type SelectRequest, type SelectResponse } from './protocol.js';

const scope = workerScope<SelectRequest, SelectResponse>();

interface Dataset {
  readonly id: number;
  readonly visual: { readonly data: Float32Array; readonly shape: readonly [number, number] };
  readonly text: { readonly data: Float32Array; readonly shape: readonly [number, number] } | undefined;
  readonly grid: { readonly rows: number; readonly cols: number };
}

let dataset: Dataset | undefined;
const ready = (async () => {
  if (!(await tf.setBackend('cpu'))) throw new Error("the tfjs 'cpu' backend failed to initialise");
  await tf.ready();
})();

function handle(msg: SelectRequest): void {
  if (msg.type === 'init') {
    const list = methods.names().map((name) => {
      const m = methods.get(name);
      return { name, description: m.description, optionNames: [...(m.optionNames ?? [])] };
    });
    scope.post({ type: 'ready', methods: list, backend: tf.getBackend() });
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
