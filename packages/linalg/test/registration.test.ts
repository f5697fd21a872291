import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, inject, it } from 'vitest';
import { CosineMaxRelevance, GramRows, registerCpuKernels, registerKernels, registerWasmKernels, ResidualGreedy, unregisterKernels } from '../src/index.js';

const backend = inject('tfBackend');

describe(`kernel registration [${backend}]`, () => {
  it('registers per backend, idempotently, and unregisters', () => {
    unregisterKernels();
    expect(tf.getKernel(ResidualGreedy, 'cpu')).toBeUndefined();
    registerCpuKernels();
    registerCpuKernels();
    expect(tf.getKernel(ResidualGreedy, 'cpu')).toBeDefined();
    expect(tf.getKernel(GramRows, 'cpu')).toBeDefined();
    expect(tf.getKernel(CosineMaxRelevance, 'cpu')).toBeDefined();
    expect(tf.getKernel(ResidualGreedy, 'wasm')).toBeUndefined();
    registerWasmKernels();
    expect(tf.getKernel(ResidualGreedy, 'wasm')).toBeDefined();
    expect(tf.getKernel(CosineMaxRelevance, 'wasm')).toBeUndefined();
    unregisterKernels('cpu');
    expect(tf.getKernel(ResidualGreedy, 'cpu')).toBeUndefined();
    expect(tf.getKernel(ResidualGreedy, 'wasm')).toBeDefined();
    registerKernels('cpu');
    expect(tf.getKernel(ResidualGreedy, 'cpu')).toBeDefined();
    registerKernels();
  });

  it('rejects a backend without custom kernels', () => {
    expect(() => registerKernels('webgl')).toThrow(expect.objectContaining({ code: 'E_BACKEND' }));
  });
});
