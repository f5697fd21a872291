import { ResPruneError } from '@resprune/errors';
import type { FastNormalize, FastSelectOptions } from './types.js';

/** Checked and defaulted options of one selection. @internal */
export interface CheckedSelect {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly m: number;
  readonly text: Float32Array | undefined;
  readonly weights: Float32Array | Float64Array | undefined;
  readonly alpha: number;
  readonly normalize: FastNormalize;
  readonly normalizeCode: number;
  readonly rankTolerance: number;
  readonly energy: number | undefined;
  readonly minKeep: number;
  /** Power of two the text rows are scaled by so their float32 squares stay in range (1 mostly). */
  readonly textScale: number;
}

const OP = 'fastSelect';
const NORMALIZE: Record<FastNormalize, number> = { none: 0, l2: 1, center: 2 };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

/** A power of two that brings `maxAbs` into [1, 2) when float32 squares would overflow or underflow. */
export function safeScale(maxAbs: number): number {
  if (maxAbs === 0 || (maxAbs <= 2 ** 32 && maxAbs >= 2 ** -32)) return 1;
  return 2 ** -Math.floor(Math.log2(maxAbs));
}

/**
 * Validates the arguments of a fast selection. The token values themselves are checked for
 * NaN/Infinity inside the kernel (one pass that is needed anyway). @internal
 */
export function checkSelect(visual: unknown, n: unknown, d: unknown, options: FastSelectOptions | undefined): CheckedSelect {
  if (!(visual instanceof Float32Array)) {
    throw new ResPruneError('E_DTYPE', `${OP}: visual must be a Float32Array of n × d values (row-major [tokens, features]), got ${typeName(visual)}`);
  }
  for (const [name, v] of [['n', n], ['d', d]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${OP}: ${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
  const nn = n as number;
  const dd = d as number;
  if (nn === 0 || dd === 0) {
    throw new ResPruneError('E_EMPTY_INPUT', `${OP}: need at least one token and one feature, got [${nn}, ${dd}]`, { details: { shape: [nn, dd] } });
  }
  if (visual.length !== nn * dd) {
    throw new ResPruneError('E_SHAPE_MISMATCH', `${OP}: visual has ${visual.length} values, expected n × d = ${nn} × ${dd} = ${nn * dd}`, {
      details: { expected: nn * dd, received: visual.length },
    });
  }
  if (options === null || typeof options !== 'object') {
    throw new ResPruneError('E_INVALID_OPTION', `${OP}: options must be an object with at least { keep }, got ${typeName(options)}`);
  }
  const keep = options.keep;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) {
    throw new ResPruneError('E_BUDGET', `${OP}: keep must be an integer ≥ 1, got ${typeof keep === 'number' ? keep : typeName(keep)}`, {
      details: { keep },
    });
  }
  const k = Math.min(keep, nn);
  const alphaIn = options.alpha;
  if (alphaIn !== undefined && (typeof alphaIn !== 'number' || !Number.isFinite(alphaIn) || alphaIn < 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `${OP}: alpha must be a finite number ≥ 0, got ${String(alphaIn)}`);
  }
  const normalize = options.normalize ?? 'none';
  if (!Object.hasOwn(NORMALIZE, normalize)) {
    throw new ResPruneError('E_INVALID_OPTION', `${OP}: normalize must be one of 'none', 'l2', 'center', got ${JSON.stringify(normalize)}`);
  }
  const tol = options.rankTolerance ?? 1e-6;
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol < 0) {
    throw new ResPruneError('E_INVALID_OPTION', `${OP}: rankTolerance must be a finite number ≥ 0, got ${String(tol)}`);
  }
  const energy = options.energy;
  if (energy !== undefined && (typeof energy !== 'number' || !(energy > 0 && energy <= 1))) {
    throw new ResPruneError('E_BUDGET', `${OP}: energy must be a number in (0, 1], got ${String(energy)}`, { details: { energy } });
  }
  const minKeep = options.minKeep ?? 1;
  if (typeof minKeep !== 'number' || !Number.isInteger(minKeep) || minKeep < 1 || minKeep > keep) {
    throw new ResPruneError('E_BUDGET', `${OP}: minKeep must be an integer in [1, keep = ${keep}], got ${String(minKeep)}`);
  }
  const weights = options.weights;
  const text = options.text;
  let m = 0;
  let textScale = 1;
  if (weights !== undefined) {
    if (text !== undefined || alphaIn !== undefined) {
      throw new ResPruneError('E_INVALID_OPTION', `${OP}: give either weights, or text (with alpha), not both`);
    }
    if (!(weights instanceof Float32Array || weights instanceof Float64Array)) {
      throw new ResPruneError('E_DTYPE', `${OP}: weights must be a Float32Array or Float64Array of length n = ${nn}, got ${typeName(weights)}`);
    }
    if (weights.length !== nn) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${OP}: weights has ${weights.length} values, expected n = ${nn}`);
    }
    for (let i = 0; i < nn; i++) {
      const w = weights[i]!;
      if (!Number.isFinite(w)) throw new ResPruneError('E_NON_FINITE', `${OP}: weights[${i}] is ${w}; weights must be finite`);
      if (w < 0) throw new ResPruneError('E_INVALID_OPTION', `${OP}: weights[${i}] is ${w}; weights must be ≥ 0`);
    }
  } else if (text !== undefined) {
    if (!(text instanceof Float32Array)) {
      throw new ResPruneError('E_DTYPE', `${OP}: text must be a Float32Array of M × d values (row-major [texts, features]), got ${typeName(text)}`);
    }
    if (text.length % dd !== 0) {
      throw new ResPruneError('E_SHAPE_MISMATCH', `${OP}: text has ${text.length} values, not a multiple of d = ${dd}`, {
        details: { features: dd, received: text.length },
      });
    }
    m = text.length / dd;
    let maxAbs = 0;
    for (let i = 0; i < text.length; i++) {
      const v = text[i]!;
      if (!Number.isFinite(v)) throw new ResPruneError('E_NON_FINITE', `${OP}: text contains ${v} at ${i}; clean or mask the input first`);
      const a = Math.abs(v);
      if (a > maxAbs) maxAbs = a;
    }
    textScale = safeScale(maxAbs);
  }
  return {
    n: nn,
    d: dd,
    k,
    m,
    text: m > 0 ? text : undefined,
    weights,
    alpha: alphaIn ?? 1,
    normalize,
    normalizeCode: NORMALIZE[normalize],
    rankTolerance: tol,
    energy,
    minKeep: Math.min(minKeep, k),
    textScale,
  };
}
