/** Feature transform applied before the energy greedy (docs/guide/method.md#3-feature-transform): raw tokens, unit rows, or centred. */
export type FastNormalize = 'none' | 'l2' | 'center';

/** How a {@link FastEngine} runs: WebAssembly SIMD on several threads, on one thread, or plain JavaScript. */
export type FastEngineKind = 'wasm-threads' | 'wasm' | 'js';

/**
 * Options of one fast selection ({@link FastEngine.select}, {@link selectPlain}).
 *
 * The selection follows the ResPrune specification (docs/guide/method.md#the-specification): relevance `r` from the max-over-text cosine
 * of the raw tokens, weights `w = r^alpha`, the chosen feature transform, then the residual-energy
 * greedy with rank exhaustion.
 */
export interface FastSelectOptions {
  /** Most tokens to pick, `K` (an integer ≥ 1; values above the token count keep every token). */
  readonly keep: number;
  /** Text vectors `[M, d]`, row-major float32, for the relevance weights. Leave out (or `M = 0`) for `r = 1`. */
  readonly text?: Float32Array;
  /** Exponent of the relevance, `w = r^alpha` (≥ 0; default 1; 0 switches text conditioning off). */
  readonly alpha?: number;
  /**
   * Per-token weights `[N]` (finite, ≥ 0) used as `w` directly; then `text` and `alpha` must be left
   * out. Use this to run the greedy alone on tokens you already transformed.
   */
  readonly weights?: Float32Array | Float64Array;
  /** Feature transform for the energy (default `'none'`). The relevance always uses the raw tokens. */
  readonly normalize?: FastNormalize;
  /** Rank exhaustion threshold, relative to the largest initial score (default 1e-6). */
  readonly rankTolerance?: number;
  /** Stop at the first pick count `t ≥ minKeep` whose captured-energy fraction reaches this target, in (0, 1]. */
  readonly energy?: number;
  /** Fewest picks before the energy target may stop the greedy (default 1). */
  readonly minKeep?: number;
}

/** Counters of one run of a {@link FastEngine}. */
export interface FastSelectionStats {
  /** Which implementation ran. */
  readonly kind: FastEngineKind;
  /** Threads that shared the work. */
  readonly threads: number;
  /** Passes over the token matrix made by the greedy (each computes one or more Gram rows). */
  readonly passes: number;
  /** Gram rows computed, including rows computed ahead for likely picks. */
  readonly gramRows: number;
  /** Picks whose residual was recomputed explicitly because the downdated energy had fallen below 1e-3 of its start. */
  readonly recomputes: number;
}

/** Result of a fast selection. Arrays have one entry per pick, in pick order. */
export interface FastSelection {
  /** Token indices in the order the greedy picked them, `[count]`. */
  readonly order: Int32Array;
  /**
   * `w_i · E_i` of each pick at the time it was picked (in the units of the input), `[count]`. Picks
   * made by the rank-exhaustion fill report 0.
   */
  readonly scores: Float64Array;
  /**
   * Fraction of `Σ_i w_i ‖x_i‖²` lying in the span of the first `t + 1` picks, `[count]`:
   * non-decreasing, exactly 1 for rank-exhaustion fills, once every token is picked, and throughout
   * when all tokens are zero.
   */
  readonly captured: Float64Array;
  /** The weights `w` the greedy used, `[N]`. */
  readonly weights: Float64Array;
  /**
   * The relevance `r` of docs/guide/method.md#1-relevance, `[N]`, in (0, 1]: the min–max normalised max-over-text cosine of
   * the raw tokens (so `weights = r^alpha`). All ones without text, and when `weights` were given.
   */
  readonly relevance: Float64Array;
  /** Pick index from which rank exhaustion filled the remaining slots, or -1. */
  readonly exhaustedAt: number;
  /** `Σ_i w_i ‖x_i‖²` of the transformed tokens. */
  readonly totalEnergy: number;
  /** Counters for benchmarks and tests. */
  readonly stats: FastSelectionStats;
}

/** Options of {@link createFastEngine}. */
export interface FastEngineOptions {
  /**
   * `'auto'` (default): threads when SharedArrayBuffer, workers and WebAssembly threads are all
   * available, else one WebAssembly thread, else plain JavaScript. `'threads'`, `'single'` and `'js'`
   * force one (`'threads'` throws when threads are unavailable).
   */
  readonly mode?: 'auto' | 'threads' | 'single' | 'js';
  /** Threads including the calling one (default: the number of cores, at most 4). */
  readonly threads?: number;
  /**
   * Most Gram rows per pass over the tokens: the pick plus the next likely picks (1..16, default 16).
   * Passes start at 8 rows and double or halve with the share of rows the previous pass served.
   */
  readonly batch?: number;
  /** Gram rows kept between passes (default 2 × batch). */
  readonly cacheRows?: number;
  /**
   * Smallest `n × d` that is split over threads (default 2^18); smaller problems run on the calling
   * thread alone, where a per-pick barrier would cost more than it saves. Results are the same.
   */
  readonly threadsFrom?: number;
  /** Run a few small selections at creation so the JIT has optimised the kernel (default true). */
  readonly warmUp?: boolean;
}

/**
 * A loaded fast selector. {@link FastEngine.select} is synchronous; create the engine once
 * (asynchronously) with {@link createFastEngine} or {@link getFastEngine}.
 */
export interface FastEngine {
  /** Which implementation this engine runs. */
  readonly kind: FastEngineKind;
  /** Threads that share each selection. */
  readonly threads: number;
  /**
   * Runs the selection on the tokens `visual` `[n, d]` (row-major float32).
   * @throws {@link @resprune/errors!ResPruneError} on bad input (see {@link selectPlain}).
   */
  select(visual: Float32Array, n: number, d: number, options: FastSelectOptions): FastSelection;
  /** Bytes of WebAssembly memory the engine holds (0 for `'js'`): the copy of the input plus O(N·K) state. */
  memoryBytes(): number;
  /** Stops the worker threads and frees the memory. The engine cannot be used afterwards. */
  dispose(): Promise<void>;
}
