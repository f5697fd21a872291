import * as tf from '@tensorflow/tfjs-core';
import { GramRows } from '../kernel-names.js';
import { hasKernel } from '../register.js';
import { assertAllFinite, assertMatrix, toIndexArray } from '../validate.js';

const OP = 'gramRows';

/** Row indices: a plain array, an Int32Array, or an int32 `[k]` tensor. */
export type RowIndices = readonly number[] | Int32Array | tf.Tensor1D;

/**
 * Selected rows of the Gram matrix X Xᵀ without building the `[tokens, tokens]` matrix:
 * `out[b, i] = x[rows[b]] · x[i]`, costing `k · tokens · hidden` multiply-adds.
 *
 * On cpu a registered kernel accumulates in float64 and rounds once; on wasm one XNNPACK matMul
 * computes the block; elsewhere the op composes `gather(X, rows) · Xᵀ`. Entries beyond float32
 * range overflow to ±Infinity (the inputs are finite, their products need not be). The caller owns
 * the returned tensor.
 *
 * @param x - tokens `[tokens, hidden]`, float32, finite, non-empty
 * @param rows - row indices in `[0, tokens)`, repeats allowed; may be empty
 * @returns `[rows.length, tokens]` float32
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH`, `E_DTYPE`, `E_EMPTY_INPUT`, `E_NON_FINITE`,
 *   `E_INVALID_OPTION` (an index out of range or not an integer)
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { gramRows } from '@resprune/linalg';
 * gramRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), [2]).print(); // [[17, 39, 61]]
 * ```
 */
export function gramRows(x: tf.Tensor2D, rows: RowIndices): tf.Tensor2D {
  assertMatrix(x, OP, 'x');
  const n = x.shape[0];
  const idx = toIndexArray(rows, n, OP, 'rows');
  assertAllFinite(x, OP, 'x');
  if (idx.length === 0) return tf.zeros([0, n]);
  const indices = tf.tensor1d(idx, 'int32');
  try {
    if (hasKernel(GramRows)) return tf.engine().runKernel(GramRows, { x, indices }) as tf.Tensor2D;
    return tf.tidy(() => tf.matMul(tf.gather(x, indices), x, false, true));
  } finally {
    indices.dispose();
  }
}
