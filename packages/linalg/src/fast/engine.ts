import { ResPruneError } from '@resprune/errors';
import { minMaxRelevance } from '../relevance.js';
import { CONTROL_BYTES, Slot, SyncWord, type KernelExports } from './control.js';
import { RECOMPUTE_RATIO } from '../greedy/core.js';
import { runPlain } from './plain.js';
import type { FastEngine, FastEngineKind, FastEngineOptions, FastSelectOptions, FastSelection } from './types.js';
import { checkSelect, type CheckedSelect } from './validate-input.js';
import { GREEDY_SINGLE_WASM, GREEDY_THREADS_WASM } from './wasm-binaries.js';
import { NODE_WORKER_SOURCE, WEB_WORKER_SOURCE } from './worker-source.js';

// ---- the few platform APIs used here (the package compiles without DOM or Node typings) --------

interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: unknown }>;
}
interface ThreadHandle {
  post(message: unknown): void;
  terminate(): Promise<void>;
}
type Global = typeof globalThis & {
  WebAssembly?: WasmApi;
  process?: { versions?: { node?: string } };
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  Worker?: new (url: string) => { postMessage(m: unknown): void; terminate(): void; onmessage: unknown; onerror: unknown };
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
};
const G = globalThis as Global;
const isNode = typeof G.process?.versions?.node === 'string';
/**
 * Whether the calling thread may block in Atomics.wait at a barrier: Node, and browser workers
 * (dedicated workers may block; a page's main thread may not, so it spins instead).
 */
const callerCanBlock = isNode || typeof (globalThis as { DedicatedWorkerGlobalScope?: unknown }).DedicatedWorkerGlobalScope === 'function';

const PAGE = 65536;
const MAX_PAGES = 32768; // 2 GiB
const DEFAULT_BATCH = 16;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Decodes base64 without atob/Buffer (neither is in the ES lib). */
function fromBase64(s: string): Uint8Array {
  const lut = new Uint8Array(128);
  for (let i = 0; i < 64; i++) lut[B64.charCodeAt(i)] = i;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = (lut[s.charCodeAt(i)]! << 18) | (lut[s.charCodeAt(i + 1)]! << 12) | (lut[s.charCodeAt(i + 2)]! << 6) | lut[s.charCodeAt(i + 3)]!;
    if (o < out.length) out[o++] = (v >> 16) & 255;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

let threadsBytes: Uint8Array | undefined;
let singleBytes: Uint8Array | undefined;
/** The threaded kernel's bytes (decoded once). @internal */
export function threadsWasm(): Uint8Array {
  return (threadsBytes ??= fromBase64(GREEDY_THREADS_WASM));
}
/** The single-thread kernel's bytes (decoded once). @internal */
export function singleWasm(): Uint8Array {
  return (singleBytes ??= fromBase64(GREEDY_SINGLE_WASM));
}

/** What this platform offers the fast path. */
export interface FastCapabilities {
  /** WebAssembly with 128-bit SIMD validates here. */
  readonly simd: boolean;
  /** Shared memory, atomics and worker threads are all usable (Node, or a cross-origin-isolated page). */
  readonly threads: boolean;
  /** Cores reported by the platform. */
  readonly cores: number;
}

async function nodeModule<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}

/**
 * Reports whether the WebAssembly fast path can run here, and with threads.
 *
 * @returns SIMD and thread support and the core count
 * @example
 * ```ts
 * const caps = await fastCapabilities();
 * console.log(caps.simd, caps.threads, caps.cores);
 * ```
 */
export async function fastCapabilities(): Promise<FastCapabilities> {
  const wasm = G.WebAssembly;
  let simd = false;
  let threads = false;
  try {
    simd = wasm !== undefined && wasm.validate(singleWasm());
  } catch {
    simd = false;
  }
  let cores = 1;
  if (isNode) {
    const os = await nodeModule<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
    cores = os.availableParallelism?.() ?? os.cpus().length;
  } else {
    cores = G.navigator?.hardwareConcurrency ?? 1;
  }
  if (simd && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object') {
    try {
      const ok = wasm!.validate(threadsWasm());
      new wasm!.Memory({ initial: 1, maximum: 1, shared: true });
      const workers = isNode || (typeof G.Worker === 'function' && G.crossOriginIsolated === true);
      threads = ok && workers;
    } catch {
      threads = false;
    }
  }
  return { simd, threads, cores: Math.max(1, cores) };
}

async function spawnThread(module: object, memory: WasmMemory, onError: (message: string) => void): Promise<ThreadHandle> {
  if (isNode) {
    interface NodeWorker {
      postMessage(m: unknown): void;
      on(ev: string, cb: (v: unknown) => void): void;
      once(ev: string, cb: (v: unknown) => void): void;
      unref(): void;
      terminate(): Promise<number>;
    }
    const wt = await nodeModule<{ Worker: new (src: string, opts: { eval: boolean }) => NodeWorker }>('node:worker_threads');
    const w = new wt.Worker(NODE_WORKER_SOURCE, { eval: true });
    await new Promise<void>((resolve, reject) => {
      w.once('message', (m) => {
        const msg = m as { type: string; message?: string };
        if (msg.type === 'ready') resolve();
        else reject(new Error(msg.message ?? 'worker failed to start'));
      });
      w.once('error', (e) => reject(e instanceof Error ? e : new Error(String(e))));
      w.postMessage({ type: 'init', module, memory });
    });
    w.on('message', (m) => {
      const msg = m as { type: string; message?: string };
      if (msg.type === 'error') onError(msg.message ?? 'worker error');
    });
    w.on('error', (e) => onError(String(e)));
    w.unref(); // after the listeners: adding one re-references the worker
    return {
      post: (m) => w.postMessage(m),
      terminate: async () => {
        await w.terminate();
      },
    };
  }
  const url = G.URL!.createObjectURL(new G.Blob!([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new G.Worker!(url);
  G.URL!.revokeObjectURL(url);
  await new Promise<void>((resolve, reject) => {
    w.onmessage = (e: { data: { type: string; message?: string } }) => {
      if (e.data.type === 'ready') resolve();
      else reject(new Error(e.data.message ?? 'worker failed to start'));
    };
    w.onerror = (e: unknown) => reject(new Error(String(e)));
    w.postMessage({ type: 'init', module, memory });
  });
  w.onmessage = (e: { data: { type: string; message?: string } }) => {
    if (e.data.type === 'error') onError(e.data.message ?? 'worker error');
  };
  return {
    post: (m) => w.postMessage(m),
    terminate: () => {
      w.terminate();
      return Promise.resolve();
    },
  };
}

function align(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** The WebAssembly engine (threaded or single). */
class WasmEngine implements FastEngine {
  kind: FastEngineKind;
  threads: number;
  readonly #memory: WasmMemory;
  readonly #ex: KernelExports;
  readonly #ctl: number;
  readonly #batch: number;
  readonly #cacheRows: number;
  readonly #threadsFrom: number;
  #workers: ThreadHandle[];
  #disposed = false;
  #workerError: string | undefined;

  constructor(kind: FastEngineKind, memory: WasmMemory, ex: KernelExports, workers: ThreadHandle[], batch: number, cacheRows: number, threadsFrom: number) {
    this.kind = kind;
    this.threads = workers.length + 1;
    this.#memory = memory;
    this.#ex = ex;
    this.#workers = workers;
    this.#ctl = align(ex.heapBase(), 64);
    this.#batch = batch;
    this.#cacheRows = cacheRows;
    this.#threadsFrom = threadsFrom;
  }

  /** Records a helper-thread failure; the next selection runs single-threaded. */
  workerFailed(message: string): void {
    this.#workerError ??= message;
  }

  memoryBytes(): number {
    return this.#disposed ? 0 : this.#memory.buffer.byteLength;
  }

  select(visual: Float32Array, n: number, d: number, options: FastSelectOptions): FastSelection {
    if (this.#disposed) throw new ResPruneError('E_BACKEND', 'fastSelect: this fast engine was disposed; create a new one with createFastEngine()');
    const c = checkSelect(visual, n, d, options);
    if (this.#workerError !== undefined && this.#workers.length > 0) this.#dropWorkers();
    const threads = c.n * c.d >= this.#threadsFrom ? this.#workers.length + 1 : 1;
    let out = this.#run(visual, c, threads);
    if (out === 'aborted') {
      this.#dropWorkers();
      out = this.#run(visual, c, 1);
    }
    if (out === 'aborted') throw new ResPruneError('E_INTERNAL', 'fastSelect: the single-thread kernel reported an abort');
    return out;
  }

  #dropWorkers(): void {
    const ws = this.#workers;
    this.#workers = [];
    this.kind = 'wasm';
    this.threads = 1;
    for (const w of ws) void w.terminate();
  }

  #ensure(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new ResPruneError('E_WASM_UNAVAILABLE', `fastSelect: the problem needs ${(bytes / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, more than the 2 GiB limit; use selectPlain()`);
    }
    this.#memory.grow(pages);
  }

  #run(visual: Float32Array, c: CheckedSelect, threads: number): FastSelection | 'aborted' {
    const ctl = this.#ctl;
    const { n, d, k, m } = c;
    const stride = align(d, 4);
    this.#ensure(ctl + CONTROL_BYTES);
    let f = new Float64Array(this.#memory.buffer, ctl, 64);
    f.fill(0);
    f[Slot.N] = n;
    f[Slot.D] = d;
    f[Slot.STRIDE] = stride;
    f[Slot.M] = m;
    f[Slot.ALPHA] = c.alpha;
    f[Slot.NORMALIZE] = c.normalizeCode;
    f[Slot.K] = k;
    f[Slot.TOL] = c.rankTolerance;
    f[Slot.ENERGY] = c.energy ?? 2;
    f[Slot.MIN_KEEP] = c.minKeep;
    f[Slot.USE_ENERGY] = c.energy === undefined ? 0 : 1;
    f[Slot.HAS_WEIGHTS] = c.weights === undefined ? 0 : 1;
    f[Slot.BATCH] = Math.min(this.#batch, k);
    f[Slot.CACHE] = Math.max(Math.min(this.#cacheRows, k), Math.min(this.#batch, k));
    f[Slot.GUARD] = RECOMPUTE_RATIO;
    f[Slot.THREADS] = threads;
    f[Slot.HEAP] = ctl + CONTROL_BYTES;
    f[Slot.MAIN_CAN_WAIT] = callerCanBlock ? 1 : 0;
    const end = this.#ex.layout(ctl);
    this.#ensure(end);
    const buf = this.#memory.buffer;
    f = new Float64Array(buf, ctl, 64);
    // inputs
    const xp = f[Slot.X]!;
    if (stride === d) {
      new Float32Array(buf, xp, n * d).set(visual);
    } else {
      const dst = new Float32Array(buf, xp, n * stride);
      for (let i = 0; i < n; i++) {
        dst.set(visual.subarray(i * d, (i + 1) * d), i * stride);
        dst.fill(0, i * stride + d, (i + 1) * stride);
      }
    }
    if (m > 0 && c.text !== undefined) {
      const dst = new Float32Array(buf, f[Slot.T]!, m * stride);
      dst.fill(0);
      for (let q = 0; q < m; q++) {
        const row = c.text.subarray(q * d, (q + 1) * d);
        if (c.textScale === 1) dst.set(row, q * stride);
        else for (let kk = 0; kk < d; kk++) dst[q * stride + kk] = row[kk]! * c.textScale;
      }
    }
    if (c.weights !== undefined) new Float64Array(buf, f[Slot.W]!, n).set(c.weights);
    // run
    if (threads > 1) {
      const sync = new Int32Array(buf, ctl, CONTROL_BYTES / 4);
      Atomics.store(sync, SyncWord.COUNT / 4, 0);
      Atomics.store(sync, SyncWord.ABORT / 4, 0);
      Atomics.store(sync, SyncWord.WAITERS / 4, 0);
      for (let t = 1; t < threads; t++) this.#workers[t - 1]!.post({ type: 'run', ctl, tid: t });
    }
    let rc: number;
    try {
      rc = this.#ex.run(ctl, 0);
    } catch (cause) {
      if (threads > 1) Atomics.store(new Int32Array(this.#memory.buffer, ctl, CONTROL_BYTES / 4), SyncWord.ABORT / 4, 1);
      throw new ResPruneError('E_INTERNAL', `fastSelect: the WebAssembly kernel trapped: ${String(cause)}`, { cause });
    }
    if (rc === 1) return 'aborted';
    if (rc === 2) {
      throw new ResPruneError('E_NON_FINITE', 'fastSelect: visual contains NaN or Infinity; clean or mask the input first');
    }
    const b = this.#memory.buffer;
    f = new Float64Array(b, ctl, 64);
    const count = f[Slot.COUNT]!;
    const scale = f[Slot.SCALE]!;
    const unit = 1 / (scale * scale);
    const scores = new Float64Array(b, f[Slot.SCORES]!, count).slice();
    if (unit !== 1) for (let s = 0; s < count; s++) scores[s] = scores[s]! * unit;
    return {
      order: new Int32Array(b, f[Slot.ORDER]!, count).slice(),
      scores,
      captured: new Float64Array(b, f[Slot.CAPTURED]!, count).slice(),
      weights: new Float64Array(b, f[Slot.W]!, n).slice(),
      relevance: m > 0 && c.weights === undefined ? minMaxRelevance(new Float64Array(b, f[Slot.REL]!, n)) : new Float64Array(n).fill(1),
      exhaustedAt: f[Slot.EXHAUSTED_AT]!,
      totalEnergy: f[Slot.TOTAL]! * unit,
      stats: { kind: threads > 1 ? 'wasm-threads' : 'wasm', threads, passes: f[Slot.PASSES]!, gramRows: f[Slot.ROWS]!, recomputes: f[Slot.RECOMPUTES]! },
    };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const ws = this.#workers;
    this.#workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** The plain-JavaScript engine (no WebAssembly SIMD here). */
class JsEngine implements FastEngine {
  readonly kind = 'js' as const;
  readonly threads = 1;
  #disposed = false;
  select(visual: Float32Array, n: number, d: number, options: FastSelectOptions): FastSelection {
    if (this.#disposed) throw new ResPruneError('E_BACKEND', 'fastSelect: this fast engine was disposed; create a new one with createFastEngine()');
    return runPlain(visual, checkSelect(visual, n, d, options));
  }
  memoryBytes(): number {
    return 0;
  }
  dispose(): Promise<void> {
    this.#disposed = true;
    return Promise.resolve();
  }
}

/** A small deterministic problem that runs every phase of the kernel, for warming up the JIT. */
function warmUp(engine: FastEngine): void {
  const n = 512; // n × d = 2^18: the threaded path runs too
  const d = 512;
  const x = new Float32Array(n * d);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) + (i % d < 8 ? 1 : 0);
  }
  const text = x.slice(0, 2 * d);
  for (let r = 0; r < 4; r++) {
    engine.select(x, n, d, { keep: 64, text, normalize: r % 2 === 0 ? 'none' : 'center' });
    engine.select(x, n, d, { keep: 48, normalize: 'l2', energy: 0.99 });
  }
}

/**
 * Loads the fast selector: the WebAssembly SIMD kernel on worker threads sharing memory where the
 * platform allows it (Node; browsers with cross-origin isolation), else on the calling thread, else
 * plain JavaScript. Threads are unref'd (they never keep Node alive); call
 * {@link FastEngine.dispose} to stop them early.
 *
 * @param options - mode, thread count, Gram rows per pass, warm-up
 * @returns a ready engine whose `select` is synchronous
 * @throws {@link @resprune/errors!ResPruneError} `E_WASM_UNAVAILABLE` when `mode` forces a variant the platform lacks;
 *   `E_INVALID_OPTION` on bad options
 * @example
 * ```ts
 * import { createFastEngine } from '@resprune/linalg';
 * const engine = await createFastEngine();
 * const { order } = engine.select(tokens, 576, 4096, { keep: 128, text, alpha: 1 });
 * await engine.dispose();
 * ```
 */
export async function createFastEngine(options: FastEngineOptions = {}): Promise<FastEngine> {
  const mode = options.mode ?? 'auto';
  if (!['auto', 'threads', 'single', 'js'].includes(mode)) {
    throw new ResPruneError('E_INVALID_OPTION', `createFastEngine: mode must be 'auto', 'threads', 'single' or 'js', got ${JSON.stringify(mode)}`);
  }
  const batch = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > 16) {
    throw new ResPruneError('E_INVALID_OPTION', `createFastEngine: batch must be an integer in [1, 16], got ${String(batch)}`);
  }
  const cacheRows = options.cacheRows ?? 2 * batch;
  if (!Number.isInteger(cacheRows) || cacheRows < batch) {
    throw new ResPruneError('E_INVALID_OPTION', `createFastEngine: cacheRows must be an integer ≥ batch (${batch}), got ${String(cacheRows)}`);
  }
  const threadsFrom = options.threadsFrom ?? 2 ** 18;
  if (!Number.isFinite(threadsFrom) || threadsFrom < 0) {
    throw new ResPruneError('E_INVALID_OPTION', `createFastEngine: threadsFrom must be a number ≥ 0, got ${String(options.threadsFrom)}`);
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 64)) {
    throw new ResPruneError('E_INVALID_OPTION', `createFastEngine: threads must be an integer in [1, 64], got ${String(options.threads)}`);
  }
  const caps = await fastCapabilities();
  let engine: FastEngine;
  if (mode === 'js' || (mode === 'auto' && !caps.simd)) {
    engine = new JsEngine();
  } else {
    if (!caps.simd) throw new ResPruneError('E_WASM_UNAVAILABLE', `createFastEngine: mode '${mode}' needs WebAssembly SIMD, which this platform lacks`);
    const want = options.threads ?? Math.min(caps.cores, 4);
    const useThreads = mode === 'threads' || (mode === 'auto' && caps.threads && want > 1);
    if (mode === 'threads' && !caps.threads) {
      throw new ResPruneError('E_WASM_UNAVAILABLE', "createFastEngine: mode 'threads' needs SharedArrayBuffer, WebAssembly threads and workers (in browsers: a cross-origin-isolated page)");
    }
    const wasm = G.WebAssembly!;
    if (useThreads && want > 1) {
      const module = await wasm.compile(threadsWasm());
      const memory = new wasm.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
      const inst = await wasm.instantiate(module, { env: { memory } });
      let eng: WasmEngine | undefined;
      const workers = await Promise.all(
        Array.from({ length: want - 1 }, () => spawnThread(module, memory, (msg) => eng?.workerFailed(msg))),
      );
      eng = new WasmEngine('wasm-threads', memory, inst.exports as KernelExports, workers, batch, cacheRows, threadsFrom);
      engine = eng;
    } else {
      const module = await wasm.compile(singleWasm());
      const memory = new wasm.Memory({ initial: 64 });
      const inst = await wasm.instantiate(module, { env: { memory } });
      engine = new WasmEngine('wasm', memory, inst.exports as KernelExports, [], batch, cacheRows, threadsFrom);
    }
  }
  if (options.warmUp ?? true) warmUp(engine);
  return engine;
}

const SHARED = Symbol.for('@resprune/linalg.fastEngine');
type WithShared = typeof globalThis & { [SHARED]?: Promise<FastEngine> };

/**
 * The process-wide fast engine (created on first use with default options, shared by every copy
 * of this package). Its threads are unref'd, so it never keeps Node alive.
 *
 * @returns the shared engine
 * @example
 * ```ts
 * import { getFastEngine } from '@resprune/linalg';
 * const engine = await getFastEngine();
 * ```
 */
export function getFastEngine(): Promise<FastEngine> {
  const g = globalThis as WithShared;
  return (g[SHARED] ??= createFastEngine());
}

/**
 * The shared engine if {@link getFastEngine} has already finished loading it, else `undefined`
 * (for synchronous callers such as tfjs kernels). @internal
 */
export function peekFastEngine(): Promise<FastEngine> | undefined {
  return (globalThis as WithShared)[SHARED];
}
