/**
 * Messages between the page and its two workers. Typed arrays travel as transferables.
 *
 * - The features worker runs MobileNetV2 (tfjs on webgpu, webgl or wasm) on raw RGB pixels.
 * - The select worker runs the token selection (tfjs cpu backend, plain typed arrays; ResPrune's
 *   greedy on the WebAssembly SIMD fast path where it starts), so a slow method never blocks the
 *   page and can be cancelled by terminating the worker.
 */

/** A failure as it crosses the worker boundary: the ResPruneError code when there is one. */
export interface WireError {
  readonly code: string | undefined;
  readonly message: string;
}

/** Backends the features worker can use; `auto` picks the fastest the browser really has. */
export const FEATURE_BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type FeatureBackend = (typeof FEATURE_BACKENDS)[number];

export type FeaturesRequest =
  | { readonly type: 'init'; readonly backend: FeatureBackend }
  | { readonly type: 'extract'; readonly id: number; readonly width: number; readonly height: number; readonly rgb: Uint8Array };

export type FeaturesResponse =
  | { readonly type: 'progress'; readonly fraction: number; readonly message: string }
  | {
      readonly type: 'ready';
      readonly backend: string;
      /** What was tried before the backend that was chosen, and why it was passed over. */
      readonly skipped: readonly string[];
      readonly threads: number;
      readonly simd: boolean | undefined;
      readonly loadMs: number;
    }
  | {
      readonly type: 'features';
      readonly id: number;
      readonly tokens: Float32Array;
      readonly rows: number;
      readonly cols: number;
      readonly d: number;
      readonly size: number;
      readonly ms: number;
    }
  | { readonly type: 'error'; readonly id: number | undefined; readonly error: WireError };

/** A method as the selector's registry reports it. */
export interface MethodInfo {
  readonly name: string;
  readonly description: string;
  /** Method-specific options it accepts (the page sets `grid`; the others keep their defaults). */
  readonly optionNames: readonly string[];
}

/**
 * What runs ResPrune's greedy in the select worker: the `@resprune/linalg` fast engine
 * (`wasm-threads`, `wasm`, `js`), or `plain` when it could not start and the plain tfjs kernels stayed.
 */
export interface SelectEngineInfo {
  readonly kind: 'wasm-threads' | 'wasm' | 'js' | 'plain';
  /** Threads that share a selection (1 unless `wasm-threads`). */
  readonly threads: number;
  /** Whether the page is cross-origin isolated (threads need it). */
  readonly crossOriginIsolated: boolean;
  /** Why a faster variant did not start, when one did not. */
  readonly note: string | undefined;
}

/** A budget, exactly one kind. */
export type Budget = { readonly keep: number } | { readonly ratio: number } | { readonly energy: number };

export type SelectRequest =
  | { readonly type: 'init' }
  | {
      readonly type: 'dataset';
      readonly id: number;
      readonly visual: Float32Array;
      readonly n: number;
      readonly d: number;
      readonly text: Float32Array | undefined;
      readonly m: number;
      /** The token grid, given to methods that take a `grid` option (uniform). */
      readonly rows: number;
      readonly cols: number;
    }
  | {
      readonly type: 'select';
      readonly id: number;
      readonly dataset: number;
      readonly method: string;
      readonly budget: Budget;
      readonly alpha: number;
      readonly normalize: 'none' | 'l2' | 'center';
    };

export type SelectResponse =
  | { readonly type: 'ready'; readonly methods: readonly MethodInfo[]; readonly backend: string; readonly engine: SelectEngineInfo }
  | { readonly type: 'dataset'; readonly id: number }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly method: string;
      readonly kept: Int32Array;
      readonly order: Int32Array;
      readonly scores: Float64Array;
      readonly energy: Float64Array;
      readonly ms: number;
    }
  | { readonly type: 'error'; readonly id: number | undefined; readonly error: WireError };

/** Engine variants bench.html can time: `threads` fails with `E_WASM_UNAVAILABLE` on a page that is not cross-origin isolated. */
export const BENCH_MODES = ['threads', 'single', 'auto'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

/** One timing request of bench.html (`window.resprunebench.run`). */
export interface BenchRequest {
  /** Visual tokens N. */
  readonly n: number;
  /** Features d. */
  readonly d: number;
  /** Tokens to keep K. */
  readonly k: number;
  /** Seed of the synthetic tokens (the text vectors use `seed + 1000`). */
  readonly seed: number;
  /** Timed runs after one untimed warm-up run. */
  readonly repeat: number;
  /** Engine variant. */
  readonly mode: BenchMode;
}

/** What a {@link BenchRequest} measured. */
export interface BenchResult {
  /** Best of the timed runs, milliseconds. */
  readonly ms: number;
  /** Every timed run in order, milliseconds. */
  readonly runs: number[];
  /** The engine variant that ran the last run. */
  readonly kind: 'wasm-threads' | 'wasm' | 'js';
  /** Threads that shared the last run. */
  readonly threads: number;
  /** Pick order of the last run. */
  readonly order: number[];
  /** Whether the page is cross-origin isolated (threads need it). */
  readonly crossOriginIsolated: boolean;
}

/** Messages between bench.html and its worker. */
export type BenchWorkerRequest = { readonly id: number; readonly request: BenchRequest };
export type BenchWorkerResponse =
  | { readonly id: number; readonly result: BenchResult }
  | { readonly id: number; readonly error: WireError };

/** Turns anything thrown into a {@link WireError}. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { code: undefined, message: String(error) };
}

/** The worker side of a channel, typed without the WebWorker lib (which clashes with DOM). */
export interface WorkerScope<In, Out> {
  post(message: Out, transfer?: Transferable[]): void;
  listen(handler: (message: In) => void): void;
}

/** The current dedicated worker's scope, typed for one protocol. */
export function workerScope<In, Out>(): WorkerScope<In, Out> {
  const g = globalThis as unknown as {
    postMessage(message: unknown, transfer: Transferable[]): void;
    onmessage: ((event: MessageEvent<In>) => void) | null;
  };
  return {
    post: (message, transfer = []) => g.postMessage(message, transfer),
    listen: (handler) => {
      g.onmessage = (event) => handler(event.data);
    },
  };
}
