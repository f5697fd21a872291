import type { KernelBackend, KernelConfig } from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { isWasmBackendLike, wasmRowSource, type WasmBackendLike } from '../../greedy/sources.js';
import { GramRows, ResidualGreedy } from '../../kernel-names.js';
import { readSmall, residualGreedyKernelFunc, writeFloat32 } from '../shared.js';

function asWasm(backend: unknown): WasmBackendLike {
  if (!isWasmBackendLike(backend)) {
    throw new ResPruneError('E_BACKEND', 'ResPrune wasm kernels need the tfjs-backend-wasm 4.x backend (typedArrayFromHeap missing)');
  }
  return backend;
}

/** wasm ResidualGreedy: the greedy on the wasm heap, Gram-row blocks through the backend's XNNPACK matMul. */
export const residualGreedyWasmConfig: KernelConfig = {
  kernelName: ResidualGreedy,
  backendName: 'wasm',
  kernelFunc: residualGreedyKernelFunc((backend, x) => wasmRowSource(asWasm(backend), x)),
};

/** wasm GramRows: one XNNPACK matMul `X · gather(X, rows)ᵀ`, transposed back in JavaScript. */
export const gramRowsWasmConfig: KernelConfig = {
  kernelName: GramRows,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const kb = backend as KernelBackend;
    const x = inputs['x']!;
    const n = x.shape[0]!;
    const rows = Int32Array.from(readSmall(kb, inputs['indices']!));
    const out = new Float64Array(rows.length * n);
    const src = wasmRowSource(asWasm(backend), x);
    try {
      if (rows.length > 0) src.gramRows(rows, out);
    } finally {
      src.dispose();
    }
    return writeFloat32(kb, out, [rows.length, n]);
  },
};

/** Every wasm kernel of this package (relevance uses the composed path, already XNNPACK-backed). */
export const wasmKernelConfigs: readonly KernelConfig[] = [residualGreedyWasmConfig, gramRowsWasmConfig];
