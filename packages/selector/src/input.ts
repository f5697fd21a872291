import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { assertAllFinite, assertMatrix } from '@resprune/linalg';

/** A matrix given as flat row-major values and its shape `[rows, columns]`. */
export interface MatrixData {
  /** Row-major values, `rows × columns` of them. Float64 values are rounded to float32. */
  readonly data: Float32Array | Float64Array | readonly number[];
  /** `[rows, columns]`. */
  readonly shape: readonly [number, number];
}

/**
 * A token matrix `[tokens, hidden]` in any of the accepted forms: a float32 `tf.Tensor2D`, a
 * {@link MatrixData} (`{ data, shape }`), or nested rows (`number[][]`), so callers who never used
 * TensorFlow.js can pass plain arrays.
 */
export type MatrixInput = tf.Tensor2D | MatrixData | readonly (readonly number[])[];

/** A matrix as a tensor, with whether this package created it (and must dispose it). */
export interface TensorHandle {
  readonly tensor: tf.Tensor2D;
  readonly owned: boolean;
}

function isMatrixData(x: unknown): x is MatrixData {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'data' in x && 'shape' in x;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof tf.Tensor) return `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x;
}

function nonFinite(op: string, arg: string, row: number, col: number, value: unknown, float32: boolean): ResPruneError {
  const why = float32 ? ' (outside float32 range)' : '';
  return new ResPruneError('E_NON_FINITE', `${op}: ${arg}[${row}][${col}] is ${String(value)}${why}; tokens must be finite numbers`, {
    details: { arg, row, col },
  });
}

/** Whether every value of a float32 array is finite (one multiply-add per value; NaN/±Inf poison the sum). */
function allFinite(a: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * 0;
  return s === 0;
}

function fromData(x: MatrixData, op: string, arg: string): { values: Float32Array; rows: number; cols: number } {
  const { data, shape } = x;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0)) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg}.shape must be [rows, columns] of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const [rows, cols] = shape;
  if (!(data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data))) {
    throw new ResPruneError('E_DTYPE', `${op}: ${arg}.data must be a Float32Array, Float64Array or number[], got ${describe(data)}`);
  }
  if (data.length !== rows * cols) {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${op}: ${arg}.data has ${data.length} values but shape [${rows}, ${cols}] needs ${rows * cols}`,
      { details: { arg, length: data.length, shape: [rows, cols] } },
    );
  }
  // float32 values that are all finite are used as they are (no copy)
  if (data instanceof Float32Array && allFinite(data)) return { values: data, rows, cols };
  const values = new Float32Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (typeof v !== 'number') {
      throw new ResPruneError('E_DTYPE', `${op}: ${arg}.data[${k}] must be a number, got ${describe(v)}`);
    }
    const f = Math.fround(v);
    if (!Number.isFinite(f)) throw nonFinite(op, arg, Math.floor(k / Math.max(cols, 1)), k % Math.max(cols, 1), v, Number.isFinite(v));
    values[k] = f;
  }
  return { values, rows, cols };
}

function fromRows(x: readonly (readonly number[])[], op: string, arg: string): { values: Float32Array; rows: number; cols: number } {
  const rows = x.length;
  const first = x[0];
  const cols = first === undefined ? 0 : Array.isArray(first) ? first.length : -1;
  const values = new Float32Array(rows * Math.max(cols, 0));
  for (let i = 0; i < rows; i++) {
    const row = x[i];
    if (!Array.isArray(row)) throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg}[${i}] must be an array of numbers, got ${describe(row)}`);
    if (row.length !== cols) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg} rows must all have the same length; row 0 has ${cols}, row ${i} has ${row.length}`);
    }
    for (let k = 0; k < cols; k++) {
      const v: unknown = row[k];
      if (Array.isArray(v)) {
        throw new ResPruneError('E_SHAPE_MISMATCH', `${op}: ${arg} must be rank 2 ([tokens][hidden] numbers), but ${arg}[${i}][${k}] is an array`);
      }
      if (typeof v !== 'number') throw new ResPruneError('E_DTYPE', `${op}: ${arg}[${i}][${k}] must be a number, got ${describe(v)}`);
      const f = Math.fround(v);
      if (!Number.isFinite(f)) throw nonFinite(op, arg, i, k, v, Number.isFinite(v));
      values[i * cols + k] = f;
    }
  }
  return { values, rows, cols };
}

/** A checked matrix: its float32 values (row-major) and shape, plus the tensor it came from, if any. */
export interface CheckedMatrix {
  readonly values: () => Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** The caller's tensor (not owned), when the input was one. */
  readonly tensor: tf.Tensor2D | undefined;
}


/**
 * Checks a {@link MatrixInput} without making a tensor: rank 2, float32 (tensors), finite values,
 * consistent sizes. A `Float32Array` in `{ data, shape }` is used as it is (not copied). Returns
 * `undefined` for a matrix with zero rows when `allowNoRows` (the text side: no text means no
 * conditioning).
 */
export function readMatrix(x: unknown, op: string, arg: string, allowNoRows: boolean): CheckedMatrix | undefined {
  if (x instanceof tf.Tensor) {
    if (allowNoRows && x.rank === 2 && x.shape[0] === 0) return undefined;
    assertMatrix(x, op, arg);
    assertAllFinite(x, op, arg);
    const t = x as tf.Tensor2D;
    return { values: () => t.dataSync() as Float32Array, rows: t.shape[0], cols: t.shape[1], tensor: t };
  }
  let m: { values: Float32Array; rows: number; cols: number };
  if (isMatrixData(x)) m = fromData(x, op, arg);
  else if (Array.isArray(x)) m = fromRows(x as readonly (readonly number[])[], op, arg);
  else {
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${op}: ${arg} must be a tf.Tensor2D [tokens, hidden], a { data, shape } matrix or number[][], got ${describe(x)}`,
    );
  }
  if (m.rows === 0 && allowNoRows) return undefined;
  if (m.rows === 0 || m.cols === 0) {
    throw new ResPruneError('E_EMPTY_INPUT', `${op}: ${arg} must have at least one row and one column, got [${m.rows}, ${m.cols}]`, {
      details: { arg, shape: [m.rows, m.cols] },
    });
  }
  const values = m.values;
  return { values: () => values, rows: m.rows, cols: m.cols, tensor: undefined };
}

/** A checked matrix as a float32 tensor (the caller's own, or a new one it must dispose). */
export function matrixTensor(m: CheckedMatrix): TensorHandle {
  if (m.tensor !== undefined) return { tensor: m.tensor, owned: false };
  return { tensor: tf.tensor2d(m.values(), [m.rows, m.cols], 'float32'), owned: true };
}

/**
 * Reads a {@link MatrixInput} as a float32 tensor after checking it (see {@link readMatrix}).
 */
export function toTensor(x: unknown, op: string, arg: string, allowNoRows: boolean): TensorHandle | undefined {
  const m = readMatrix(x, op, arg, allowNoRows);
  return m === undefined ? undefined : matrixTensor(m);
}
