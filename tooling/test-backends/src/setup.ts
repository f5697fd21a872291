import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, inject } from 'vitest';

const loaders = {
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  // tfjs-node registers the 'tensorflow' backend; only present where libtensorflow could be installed.
  tensorflow: () => import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/')),
} as const;

beforeAll(async () => {
  const name = inject('tfBackend');
  if (name === undefined) throw new Error('tfBackend was not provided: run this file through a backend project');
  await loaders[name]();
  if (!(await tf.setBackend(name))) throw new Error(`tf backend '${name}' failed to initialise`);
  await tf.ready();
});
beforeEach(() => tf.engine().startScope()); // as in tfjs jasmine_util executeTests
afterEach(() => tf.engine().endScope());
