import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { dotRowsInto } from '../gemm.js';
import { float32SafeScale, type GramRowSource } from './row-source.js';

/**
 * Gram rows in plain JavaScript on a float32 array (the cpu kernel): float64 accumulation, so no
 * rescaling is needed and results do not depend on how rows are grouped into blocks.
 */
export function jsRowSource(data: Float32Array, n: number, d: number): GramRowSource {
  return {
    n,
    d,
    values: () => data,
    gramRows: (indices, out) => dotRowsInto(data, indices, data, n, d, out),
    prepare: () => undefined,
    dispose: () => undefined,
  };
}

/** The parts of the tfjs wasm backend this package uses (duck-typed: no dependency on the package). */
export interface WasmBackendLike extends KernelBackend {
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** True when `backend` exposes the wasm heap the way tfjs-backend-wasm 4.x does. */
export function isWasmBackendLike(backend: unknown): backend is WasmBackendLike {
  return typeof (backend as { typedArrayFromHeap?: unknown }).typedArrayFromHeap === 'function';
}

/**
 * Gram rows on the tfjs wasm backend, working on its heap directly: the picked rows are gathered
 * into a small `[d, B]` block in JavaScript and multiplied as `X · block` by the backend's own
 * BatchMatMul kernel (XNNPACK). That orientation keeps the big operand as the left input, which
 * XNNPACK handles without transposing or re-packing X, and costs the same for B = 1 … 8.
 * X is read through a heap view re-acquired on every call (the heap may grow and move).
 */
export function wasmRowSource(backend: WasmBackendLike, x: TensorInfo): GramRowSource {
  const [n, d] = x.shape as [number, number];
  const matMul = tf.getKernel('BatchMatMul', 'wasm') as tf.KernelConfig | undefined;
  if (matMul === undefined) throw new ResPruneError('E_INTERNAL', 'wasm kernel ResidualGreedy: BatchMatMul is not registered for wasm');
  let left: TensorInfo = x;
  let scale = 1;
  let scratch = new Float32Array(0);
  const values = (): Float32Array => backend.typedArrayFromHeap(x) as Float32Array;
  return {
    n,
    d,
    values,
    prepare(maxAbs) {
      scale = float32SafeScale(maxAbs);
      if (scale === 1) return;
      const src = values();
      const copy = new Float32Array(n * d);
      for (let k = 0; k < copy.length; k++) copy[k] = src[k]! * scale;
      left = { dataId: backend.write(copy, [n, d], 'float32'), shape: [n, d], dtype: 'float32' };
    },
    gramRows(indices, out) {
      const B = indices.length;
      if (scratch.length < B * d) scratch = new Float32Array(B * d);
      const bt = scratch.subarray(0, B * d);
      const X = values();
      for (let b = 0; b < B; b++) {
        const o = indices[b]! * d;
        for (let k = 0; k < d; k++) bt[k * B + b] = X[o + k]! * scale;
      }
      const right: TensorInfo = { dataId: backend.write(bt, [d, B], 'float32'), shape: [d, B], dtype: 'float32' };
      try {
        const res = matMul.kernelFunc({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
        const v = backend.typedArrayFromHeap(res) as Float32Array;
        const unscale = 1 / (scale * scale);
        for (let i = 0; i < n; i++) for (let b = 0; b < B; b++) out[b * n + i] = v[i * B + b]! * unscale;
        backend.disposeData(res.dataId);
      } finally {
        backend.disposeData(right.dataId);
      }
    },
    dispose() {
      if (left !== x) backend.disposeData(left.dataId);
      left = x;
    },
  };
}

/**
 * Gram rows composed from public tfjs ops (any backend, e.g. tfjs-node's `tensorflow`):
 * `X · gather(X, rows)ᵀ` per block, read back with `dataSync`.
 */
export function tensorRowSource(x: tf.Tensor2D): GramRowSource {
  const [n, d] = x.shape;
  const data = x.dataSync() as Float32Array;
  let left: tf.Tensor2D = x;
  let scale = 1;
  return {
    n,
    d,
    values: () => data,
    prepare(maxAbs) {
      scale = float32SafeScale(maxAbs);
      if (scale !== 1) left = tf.tidy(() => tf.mul(x, tf.scalar(scale)));
    },
    gramRows(indices, out) {
      const B = indices.length;
      const block = tf.tidy(() => {
        const idx = tf.tensor1d(indices, 'int32');
        return tf.matMul(left, tf.transpose(tf.gather(left, idx)));
      });
      const v = block.dataSync() as Float32Array;
      block.dispose();
      const unscale = 1 / (scale * scale);
      for (let i = 0; i < n; i++) for (let b = 0; b < B; b++) out[b * n + i] = v[i * B + b]! * unscale;
    },
    dispose() {
      if (left !== x) left.dispose();
      left = x;
    },
  };
}
