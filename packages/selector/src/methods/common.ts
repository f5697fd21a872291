import * as tf from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { transformFeatures } from '../transform.js';

/** The operation name used in error messages, as {@link selectWith} words it. */
export function opName(method: string): string {
  return `selectWith('${method}')`;
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/** `E_INVALID_OPTION` naming the method, the option, what it must be and what came. */
export function optionError(method: string, option: string, expected: string, value: unknown): ResPruneError {
  return new ResPruneError('E_INVALID_OPTION', `${opName(method)}: option '${option}' must be ${expected}, got ${show(value)}`, {
    details: { method, option, value: typeof value === 'object' ? show(value) : value },
  });
}

/** Reads an optional integer option in `[min, max]`. */
export function readInteger(method: string, options: Readonly<Record<string, unknown>>, name: string, fallback: number, min: number, max: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw optionError(method, name, `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

/** Reads an optional finite number option in an interval given as text and a predicate. */
export function readNumber(
  method: string,
  options: Readonly<Record<string, unknown>>,
  name: string,
  fallback: number,
  interval: string,
  ok: (v: number) => boolean,
): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw optionError(method, name, `a finite number in ${interval}`, v);
  return v;
}

/** Reads an optional string option from a fixed list. */
export function readChoice<T extends string>(method: string, options: Readonly<Record<string, unknown>>, name: string, choices: readonly T[], fallback: T): T {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw optionError(method, name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
  }
  return v as T;
}

/** `E_BUDGET` for methods whose selections at different sizes are not nested, so an energy budget has no meaning. */
export function noEnergyBudget(method: string, why: string): ResPruneError {
  return new ResPruneError(
    'E_BUDGET',
    `${opName(method)}: the energy budget is not supported: ${why}; give keep or ratio instead`,
    { details: { method, budget: 'energy' } },
  );
}

/**
 * Unit rows of a token matrix, with their transpose: cosines are products `phi · phiT` (the wasm
 * backend multiplies a plain `A · B` several times faster than `A · Bᵀ`). Dispose when done.
 */
export class UnitRows {
  /** `[rows, hidden]`, each row divided by its norm (zero rows stay zero), as `normalize: 'l2'`. */
  readonly phi: tf.Tensor2D;
  /** `[hidden, rows]`, the transpose of {@link UnitRows.phi}. */
  readonly phiT: tf.Tensor2D;
  /** Row count. */
  readonly rows: number;

  constructor(x: tf.Tensor2D) {
    this.phi = transformFeatures(x, 'l2').features;
    this.phiT = tf.transpose(this.phi);
    this.rows = x.shape[0];
  }

  /**
   * Rows of the cosine matrix against `other`: `out[b * m + i] = phi[rows[b]] · other.phi[i]`,
   * float32, read back to JavaScript (m = `other.rows`).
   */
  cosineRows(rows: readonly number[] | Int32Array, other: UnitRows = this): Float32Array {
    if (rows.length === 0) return new Float32Array(0);
    const out = tf.tidy(() => tf.matMul(tf.gather(this.phi, tf.tensor1d(Int32Array.from(rows), 'int32')), other.phiT));
    try {
      return out.dataSync() as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /**
   * The whole `[rows, other.rows]` cosine matrix, computed in blocks of {@link COSINE_BLOCK_ROWS}
   * rows and read back to one JavaScript array.
   */
  cosineMatrix(other: UnitRows = this): Float32Array {
    const n = this.rows;
    const m = other.rows;
    const out = new Float32Array(n * m);
    for (let start = 0; start < n; start += COSINE_BLOCK_ROWS) {
      const size = Math.min(COSINE_BLOCK_ROWS, n - start);
      const block = tf.tidy(() => tf.matMul(tf.slice(this.phi, [start, 0], [size, -1]), other.phiT));
      out.set(block.dataSync() as Float32Array, start * m);
      block.dispose();
    }
    return out;
  }

  /** Frees both tensors. */
  dispose(): void {
    this.phi.dispose();
    this.phiT.dispose();
  }
}

/**
 * The most tokens a method that compares every pair of tokens (DivPrune, MMTok) takes: 16384, i.e. a cosine matrix
 * of 2^28 entries (1 GiB in float32) or as many dot products. Beyond it the work grows past what a request should
 * cost (a 480 KB `.npy` of 60000 two-dimensional tokens asked MMTok for 14 GB); ResPrune, CDPruner, DART, random and
 * uniform are linear in N and have no such limit.
 *
 * @example
 * ```ts
 * MAX_PAIRWISE_TOKENS; // 16384
 * ```
 */
export const MAX_PAIRWISE_TOKENS = 16384;

/**
 * Throws `E_LIMIT` when a pairwise method is given more than {@link MAX_PAIRWISE_TOKENS} tokens.
 * @internal
 */
export function checkPairwise(method: string, n: number): void {
  if (n > MAX_PAIRWISE_TOKENS) {
    throw new ResPruneError(
      'E_LIMIT',
      `${method}: ${n} tokens; this method compares every pair of tokens and takes at most ${MAX_PAIRWISE_TOKENS} (N² work and memory). Use resprune, cdpruner, dart, random or uniform, or fewer tokens.`,
      { details: { tokens: n, limit: MAX_PAIRWISE_TOKENS } },
    );
  }
}

/** Rows per block when a method scans a whole cosine matrix. */
export const COSINE_BLOCK_ROWS = 256;

/** Index of the largest value among `candidate(i)`, ties to the lowest index; -1 when none. */
export function argmax(values: ArrayLike<number>, candidate: (i: number) => boolean): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (!candidate(i)) continue;
    if (best < 0 || values[i]! > values[best]!) best = i;
  }
  return best;
}

/**
 * Indices `0 … n−1` sorted by `key` descending, ties to the lowest index (a stable order).
 */
export function rankDescending(key: ArrayLike<number>): number[] {
  return Array.from({ length: key.length }, (_, i) => i).sort((a, b) => key[b]! - key[a]! || a - b);
}
