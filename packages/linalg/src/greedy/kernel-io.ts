import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { GreedyOutcome, GreedyParams } from './core.js';

/**
 * Attributes of the ResidualGreedy kernel. Plain numbers: `energyTarget` is -1 when absent,
 * `forced` is 1 when an `order` input is given (forced-order energy-curve mode).
 */
export interface ResidualGreedyAttrs extends NamedAttrMap {
  k: number;
  rankTolerance: number;
  energyTarget: number;
  minPicks: number;
  rowBlock: number;
}

/** Greedy parameters from kernel attributes. */
export function paramsFromAttrs(attrs: ResidualGreedyAttrs, forcedOrder: Int32Array | undefined): GreedyParams {
  return {
    k: attrs.k,
    rankTolerance: attrs.rankTolerance,
    energyTarget: attrs.energyTarget < 0 ? undefined : attrs.energyTarget,
    minPicks: attrs.minPicks,
    rowBlock: attrs.rowBlock,
    forcedOrder,
  };
}

/** tfjs has no float64 dtype: float64 values travel bit-exactly as pairs of int32 words. */
export function float64ToWords(values: Float64Array): Int32Array {
  return new Int32Array(Float64Array.from(values).buffer);
}

/** Inverse of {@link float64ToWords}. */
export function wordsToFloat64(words: Int32Array): Float64Array {
  return new Float64Array(Int32Array.from(words).buffer);
}

/**
 * Kernel outputs: `order` int32 [t], `scores` and `energy` as float64 words int32 [2t], and an
 * int32 [6] summary: residualPicks, exhausted, gramRows, gramBlocks, cacheHits, recomputes.
 */
export function encodeOutcome(backend: KernelBackend, r: GreedyOutcome): TensorInfo[] {
  const t = r.order.length;
  const make = (values: Int32Array, size: number): TensorInfo => ({
    dataId: backend.write(values, [size], 'int32'),
    shape: [size],
    dtype: 'int32',
  });
  const info = Int32Array.of(r.residualPicks, r.exhausted ? 1 : 0, r.gramRows, r.gramBlocks, r.cacheHits, r.recomputes);
  return [make(r.order, t), make(float64ToWords(r.scores), 2 * t), make(float64ToWords(r.energy), 2 * t), make(info, 6)];
}

/** Inverse of {@link encodeOutcome}, from the values read back. */
export function decodeOutcome(order: Int32Array, scores: Int32Array, energy: Int32Array, info: Int32Array): GreedyOutcome {
  return {
    order: Int32Array.from(order),
    scores: wordsToFloat64(scores),
    energy: wordsToFloat64(energy),
    residualPicks: info[0]!,
    exhausted: info[1] === 1,
    gramRows: info[2]!,
    gramBlocks: info[3]!,
    cacheHits: info[4]!,
    recomputes: info[5]!,
  };
}
