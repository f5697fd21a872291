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
}

let dataset: Dataset | undefined;
const ready = (async () => {
  if (!(await tf.setBackend('cpu'))) throw new Error("the tfjs 'cpu' backend failed to initialise");
  await tf.ready();
})();

function handle(msg: SelectRequest): void {
  if (msg.type === 'init') {
    const list = methods.names().map((name) => ({ name, description: methods.get(name).description }));
    scope.post({ type: 'ready', methods: list, backend: tf.getBackend() });
    return;
  }
  if (msg.type === 'dataset') {
    dataset = {
      id: msg.id,
      visual: { data: msg.visual, shape: [msg.n, msg.d] },
      text: msg.text === undefined || msg.m === 0 ? undefined : { data: msg.text, shape: [msg.m, msg.d] },
    };
    scope.post({ type: 'dataset', id: msg.id });
    return;
  }
  if (dataset?.id !== msg.dataset) {
    throw Object.assign(new Error(`token set ${msg.dataset} is not loaded in the select worker`), { code: 'E_INTERNAL' });
  }
  const t0 = performance.now();
  const r = selectWith(msg.method, dataset.visual, {
    ...msg.budget,
    alpha: msg.alpha,
    normalize: msg.normalize,
    ...(dataset.text === undefined ? {} : { text: dataset.text }),
  });
  const ms = performance.now() - t0;
  scope.post(
    { type: 'result', id: msg.id, method: r.method, kept: r.kept, order: r.order, scores: r.scores, energy: r.energy, ms },
    [r.kept.buffer, r.order.buffer, r.scores.buffer, r.energy.buffer],
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
