/**
 * Where the greedy gets its numbers from. A source owns access to the token matrix X `[n, d]` on
 * some backend and computes blocks of rows of the Gram matrix X Xᵀ on demand; the greedy never
 * asks for the whole n × n matrix. The cpu kernel, the wasm kernel and the composed (any backend)
 * path each provide one; a faster kernel (e.g. WebAssembly SIMD) plugs in the same way.
 */
export interface GramRowSource {
  /** Number of tokens (rows of X). */
  readonly n: number;
  /** Feature dimension (columns of X). */
  readonly d: number;
  /** All of X as row-major float32 values. The view may be invalidated by the next call on the source. */
  values(): Float32Array;
  /**
   * Writes the Gram rows `X[indices[b]] · X[i]` to `out[b * n + i]`, in the units of X (a source
   * that rescales internally to stay inside float32 range undoes the scaling here).
   */
  gramRows(indices: Int32Array, out: Float64Array): void;
  /** Called once with the largest |x| before any `gramRows`, so float32 sources can pick a safe scale. */
  prepare(maxAbs: number): void;
  /** Frees what the source allocated (not X itself). */
  dispose(): void;
}

/**
 * A power of two `s` such that `maxAbs * s` lies in [1, 2), or 1 when `maxAbs` is already in a
 * range where float32 Gram entries can neither overflow nor lose the small tokens to underflow.
 * Scaling by a power of two is exact, so results are unchanged apart from avoiding overflow.
 */
export function float32SafeScale(maxAbs: number): number {
  if (maxAbs === 0 || (maxAbs <= 2 ** 32 && maxAbs >= 2 ** -32)) return 1;
  return 2 ** -Math.floor(Math.log2(maxAbs));
}
