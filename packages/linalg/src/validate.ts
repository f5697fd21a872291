import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError, requireBackend } from '@resprune/errors';

/** Describes a value for error messages: shape and dtype of tensors, type of anything else. */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/**
 * Checks that `x` is a live rank-2 float32 tensor `[rows, columns]` with at least one row and one
 * column (the check every op of this package makes first).
 *
 * @param x - the value to check
 * @param op - the calling op, for the message
 * @param arg - the argument name, for the message
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` (not a tensor, rank ≠ 2),
 *   `E_DTYPE` (not float32), `E_EMPTY_INPUT` (a zero dimension), `E_INVALID_OPTION` (disposed),
 *   `E_NO_BACKEND` (no TensorFlow.js backend registered or initialised)
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { assertMatrix } from '@resprune/linalg';
 * assertMatrix(tf.zeros([2, 3]), 'myOp', 'tokens'); // passes
 * ```
 */
export function assertMatrix(x: unknown, op: string, arg: string): asserts x is tf.Tensor2D {
  requireBackend(tf, op);
  if (!(x instanceof tf.Tensor)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg} must be a tf.Tensor2D of shape [tokens, features], got ${describe(x)}`);
  }
  if (x.isDisposed) throw new ResPruneError('E_INVALID_OPTION', `${op}: ${arg} has already been disposed`);
  if (x.rank !== 2) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${op}: ${arg} must be rank 2 [tokens, features], got rank ${x.rank} with shape [${x.shape.join(', ')}]`,
      { details: { arg, expectedRank: 2, shape: x.shape } },
    );
  }
  if (x.dtype !== 'float32') {
    throw new ResPruneError('E_DTYPE', `${op}: ${arg} must be float32, got ${x.dtype}; cast it with tf.cast(${arg}, 'float32')`, {
      details: { arg, expected: 'float32', dtype: x.dtype },
    });
  }
  if (x.shape[0] === 0 || x.shape[1] === 0) {
    throw new ResPruneError('E_EMPTY_INPUT', `${op}: ${arg} must have at least one row and one column, got shape [${x.shape.join(', ')}]`, {
      details: { arg, shape: x.shape },
    });
  }
}

/**
 * Checks that a tensor holds no NaN or ±Infinity. Reads one boolean back from the backend; leaves
 * no tensor behind.
 *
 * @param x - any numeric tensor
 * @param op - the calling op, for the message
 * @param arg - the argument name, for the message
 * @throws {@link @resprune/errors!ResPruneError} `E_NON_FINITE`
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { assertAllFinite } from '@resprune/linalg';
 * assertAllFinite(tf.tensor1d([1, NaN]), 'myOp', 'tokens'); // throws E_NON_FINITE
 * ```
 */
export function assertAllFinite(x: tf.Tensor, op: string, arg: string): void {
  const flag = tf.tidy(() => tf.all(tf.isFinite(x)));
  const ok = flag.dataSync()[0] === 1;
  flag.dispose();
  if (!ok) {
    throw new ResPruneError('E_NON_FINITE', `${op}: ${arg} contains NaN or Infinity; clean or mask the input first`, { details: { arg } });
  }
}

/** Throws E_INVALID_OPTION unless `value` is undefined or a finite number in the given range. */
export function checkNumberOption(
  value: unknown,
  op: string,
  name: string,
  range: { min: number; max: number; minInclusive: boolean; maxInclusive: boolean; integer?: boolean },
  code: 'E_INVALID_OPTION' | 'E_BUDGET' = 'E_INVALID_OPTION',
): number | undefined {
  if (value === undefined) return undefined;
  const lo = range.minInclusive ? `[${range.min}` : `(${range.min}`;
  const hi = range.maxInclusive ? `${range.max}]` : `${range.max})`;
  const what = `${range.integer === true ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ResPruneError(code, `${op}: ${name} must be ${what}, got ${typeof value === 'number' ? 'NaN' : describe(value)}`);
  }
  const okLo = range.minInclusive ? value >= range.min : value > range.min;
  const okHi = range.maxInclusive ? value <= range.max : value < range.max;
  if (!okLo || !okHi || (range.integer === true && !Number.isInteger(value))) {
    throw new ResPruneError(code, `${op}: ${name} must be ${what}, got ${value}`, { details: { option: name, value } });
  }
  return value;
}

/** Reads a 1-D list of integer indices in [0, n) from an array, typed array or int32 tensor. */
export function toIndexArray(rows: unknown, n: number, op: string, arg: string): Int32Array {
  let values: ArrayLike<number>;
  if (rows instanceof tf.Tensor) {
    if (rows.rank !== 1) throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg} must be rank 1, got shape [${rows.shape.join(', ')}]`);
    if (rows.dtype !== 'int32') throw new ResPruneError('E_DTYPE', `${op}: ${arg} must be an int32 tensor, got ${rows.dtype}`);
    values = rows.dataSync() as Int32Array;
  } else if (Array.isArray(rows) || ArrayBuffer.isView(rows)) {
    values = rows as ArrayLike<number>;
  } else {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg} must be an array of row indices, got ${describe(rows)}`);
  }
  const out = new Int32Array(values.length);
  for (let b = 0; b < values.length; b++) {
    const v = values[b];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
      throw new ResPruneError('E_INVALID_OPTION', `${op}: ${arg}[${b}] must be an integer row index in [0, ${n - 1}], got ${String(v)}`, {
        details: { arg, index: b, value: v, n },
      });
    }
    out[b] = v;
  }
  return out;
}

/**
 * Reads weights `[tokens]` (tensor, typed array or number[]) as float32-rounded float64 values,
 * checking length, finiteness and sign.
 */
export function toWeights(weights: unknown, n: number, op: string): Float64Array {
  let values: ArrayLike<number>;
  if (weights instanceof tf.Tensor) {
    if (weights.rank !== 1 || weights.shape[0] !== n) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: weights must have shape [${n}] (one per token), got [${weights.shape.join(', ')}]`);
    }
    if (weights.dtype !== 'float32') throw new ResPruneError('E_DTYPE', `${op}: weights must be float32, got ${weights.dtype}`);
    values = weights.dataSync() as Float32Array;
  } else if (Array.isArray(weights) || ArrayBuffer.isView(weights)) {
    values = weights as ArrayLike<number>;
    if (values.length !== n) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: weights must have length ${n} (one per token), got ${values.length}`);
    }
  } else {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: weights must be a tensor or array of length ${n}, got ${describe(weights)}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ResPruneError('E_NON_FINITE', `${op}: weights[${i}] must be a finite number, got ${String(v)}`);
    }
    if (v < 0) throw new ResPruneError('E_INVALID_OPTION', `${op}: weights must be >= 0, got weights[${i}] = ${v}`);
    out[i] = Math.fround(v);
  }
  return out;
}
