import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { runResidualGreedy } from '../greedy/core.js';
import { encodeOutcome, paramsFromAttrs, type ResidualGreedyAttrs } from '../greedy/kernel-io.js';
import type { GramRowSource } from '../greedy/row-source.js';

/** Reads a small input (weights, indices) as a plain typed array. */
export function readSmall(backend: KernelBackend, info: TensorInfo): Float32Array | Int32Array {
  return backend.readSync(info.dataId) as Float32Array | Int32Array;
}

/** The ResidualGreedy kernel function around a backend-specific Gram-row source. */
export function residualGreedyKernelFunc(makeSource: (backend: KernelBackend, x: TensorInfo) => GramRowSource): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const kb = backend as KernelBackend;
    const x = inputs['x']!;
    const w = Float64Array.from(readSmall(kb, inputs['weights']!));
    const orderInfo = inputs['order'];
    const forced = orderInfo === undefined ? undefined : Int32Array.from(readSmall(kb, orderInfo));
    const src = makeSource(kb, x);
    try {
      const outcome = runResidualGreedy(src, w, paramsFromAttrs(attrs as NamedAttrMap as ResidualGreedyAttrs, forced));
      return encodeOutcome(kb, outcome);
    } finally {
      src.dispose();
    }
  };
}

/** Writes float64 values as a float32 tensor of the given shape on `backend`. */
export function writeFloat32(backend: KernelBackend, values: Float64Array, shape: number[]): TensorInfo {
  return { dataId: backend.write(Float32Array.from(values), shape, 'float32'), shape, dtype: 'float32' };
}
