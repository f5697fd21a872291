import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@resprune/test-backends';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createFastEngine,
  energyCurve,
  registerFastKernels,
  registerKernels,
  residualGreedy,
  unregisterKernels,
  ResidualGreedy,
  unregisterFastKernels,
  type FastEngine,
} from '../src/index.js';
import { tokens } from './fast-reference.js';

const backend = inject('tfBackend');
let engine: FastEngine;

beforeAll(async () => {
  engine = await createFastEngine({ mode: 'threads', threads: 2, threadsFrom: 0, warmUp: false });
});
afterAll(async () => {
  unregisterFastKernels();
  await engine.dispose();
});

describe(`fast kernels registered for ResidualGreedy [${backend}]`, () => {
  it('replace the backend kernel, give the same selection, and restore it', async () => {
    registerKernels();
    const before = tf.getKernel(ResidualGreedy, backend);
    expect(before).toBeDefined();
    const n = 180;
    const d = 64;
    const x = tf.tensor2d(tokens(n, d, 5), [n, d]);
    const w = Float32Array.from({ length: n }, (_, i) => 0.5 + ((i * 37) % 11) / 11);
    try {
      const plain = residualGreedy(x, w, 40, { energyTarget: 0.97 });
      expect(await registerFastKernels(engine)).toBe(engine);
      await registerFastKernels(engine); // idempotent
      expect(tf.getKernel(ResidualGreedy, backend)?.kernelFunc).not.toBe(before!.kernelFunc);
      const fast = await expectNoLeak(() => residualGreedy(x, w, 40, { energyTarget: 0.97 }));
      expect(fast.stats.path).toBe('kernel');
      expect(Array.from(fast.order)).toEqual(Array.from(plain.order));
      for (let s = 0; s < plain.order.length; s++) {
        expect(Math.abs(fast.scores[s]! / plain.scores[s]! - 1)).toBeLessThan(1e-4);
        expect(Math.abs(fast.energy[s]! - plain.energy[s]!)).toBeLessThan(1e-5);
      }
      expect(fast.exhausted).toBe(plain.exhausted);
      expect(fast.residualPicks).toBe(plain.residualPicks);
      // the forced-order mode still runs on the kernel that was replaced
      const curve = energyCurve(x, fast.order, { weights: w });
      for (let s = 0; s < fast.order.length; s++) expect(Math.abs(curve.energy[s]! - fast.energy[s]!)).toBeLessThan(1e-4);
      unregisterFastKernels();
      expect(tf.getKernel(ResidualGreedy, backend)?.kernelFunc).toBe(before!.kernelFunc);
    } finally {
      x.dispose();
    }
  });

  it('registers the plain kernels itself, so one call is enough (forced order included)', async () => {
    unregisterFastKernels();
    unregisterKernels(backend as 'cpu' | 'wasm');
    expect(tf.getKernel(ResidualGreedy, backend)).toBeUndefined();
    const n = 60;
    const d = 24;
    const x = tf.tensor2d(tokens(n, d, 13), [n, d]);
    try {
      await registerFastKernels(engine);
      const fast = residualGreedy(x, undefined, 12);
      expect(fast.stats.path).toBe('kernel');
      const curve = energyCurve(x, fast.order);
      for (let s = 0; s < fast.order.length; s++) expect(Math.abs(curve.energy[s]! - fast.energy[s]!)).toBeLessThan(1e-4);
      unregisterFastKernels();
      // the plain kernel it registered underneath comes back
      expect(tf.getKernel(ResidualGreedy, backend)).toBeDefined();
      expect(Array.from(residualGreedy(x, undefined, 12).order)).toEqual(Array.from(fast.order));
    } finally {
      x.dispose();
      registerKernels();
    }
  });

  it('reports rank exhaustion like the kernel it replaces', async () => {
    registerKernels();
    const n = 30;
    const d = 12;
    const base = tokens(4, d, 9);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) data[i * d + k] = base[(i % 4) * d + k]! * (1 + (i % 7) / 7);
    const x = tf.tensor2d(data, [n, d]);
    try {
      const plain = residualGreedy(x, undefined, 10);
      await registerFastKernels(engine);
      const fast = residualGreedy(x, undefined, 10);
      unregisterFastKernels();
      expect(plain.exhausted).toBe(true);
      expect(fast.exhausted).toBe(true);
      expect(fast.residualPicks).toBe(plain.residualPicks);
      expect(Array.from(fast.order)).toEqual(Array.from(plain.order));
      expect(Array.from(fast.scores.subarray(fast.residualPicks))).toEqual(Array.from(plain.scores.subarray(plain.residualPicks)));
    } finally {
      x.dispose();
    }
  });
});
