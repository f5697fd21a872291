/**
 * The page's side of the two workers. The select client keeps at most one selection in flight and
 * one waiting (the latest settings win); a run that outlives {@link RESTART_AFTER_MS} while newer
 * settings wait is cancelled by terminating the worker, which is then started again with the same
 * tokens. So a slow method never freezes the page nor delays the visitor's latest choice for long.
 */
import type {
  Budget,
  FeatureBackend,
  FeaturesRequest,
  FeaturesResponse,
  MethodInfo,
  SelectEngineInfo,
  SelectRequest,
  SelectResponse,
  WireError,
} from './protocol.js';

/** What a selection asks for. */
export interface SelectionParams {
  readonly method: string;
  readonly budget: Budget;
  readonly alpha: number;
  readonly normalize: 'none' | 'l2' | 'center';
}

/** A finished selection with the settings that produced it. */
export interface SelectionOutcome {
  readonly params: SelectionParams;
  readonly dataset: number;
  readonly method: string;
  readonly kept: Int32Array;
  readonly order: Int32Array;
  readonly scores: Float64Array;
  readonly energy: Float64Array;
  readonly ms: number;
}

/** A token set as the select worker holds it. */
export interface TokenSet {
  readonly visual: Float32Array;
  readonly n: number;
  readonly d: number;
  readonly text: Float32Array | undefined;
  readonly m: number;
  readonly rows: number;
  readonly cols: number;
}

export interface SelectEvents {
  onResult(outcome: SelectionOutcome): void;
  onError(error: WireError, params: SelectionParams | undefined): void;
  onBusy(busy: boolean): void;
}

/** What the select worker reports once it is ready. */
export interface SelectReady {
  readonly methods: readonly MethodInfo[];
  readonly engine: SelectEngineInfo;
}

/** A run older than this is cancelled when newer settings are waiting. */
export const RESTART_AFTER_MS = 750;

function createSelectWorker(): Worker {
  return new Worker(new URL('./select-worker.ts', import.meta.url), { type: 'module', name: 'resprune-select' });
}

function createFeaturesWorker(): Worker {
  return new Worker(new URL('./features-worker.ts', import.meta.url), { type: 'module', name: 'resprune-features' });
}

/** Drives the select worker. */
export class SelectClient {
  #worker: Worker;
  #ready: Promise<SelectReady>;
  #tokens: { id: number; set: TokenSet } | undefined;
  #nextDataset = 0;
  #nextRequest = 0;
  #inFlight: { id: number; params: SelectionParams; dataset: number; since: number } | undefined;
  #pending: SelectionParams | undefined;
  readonly #events: SelectEvents;
  /** How many times the worker was restarted to cancel a slow run (shown on the page). */
  restarts = 0;

  constructor(events: SelectEvents) {
    this.#events = events;
    [this.#worker, this.#ready] = this.#start();
  }

  /** The methods the selector's registry reports, and what runs ResPrune's greedy. */
  get ready(): Promise<SelectReady> {
    return this.#ready;
  }

  #start(): [Worker, Promise<SelectReady>] {
    const worker = createSelectWorker();
    const ready = new Promise<SelectReady>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<SelectResponse>) => {
        const msg = event.data;
        if (msg.type === 'ready') resolve({ methods: msg.methods, engine: msg.engine });
        else if (msg.type === 'result') this.#finish(msg);
        else if (msg.type === 'error') {
          if (msg.id === undefined && this.#inFlight === undefined) reject(new Error(msg.error.message));
          this.#fail(msg.error);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = { code: 'E_INTERNAL', message: `the selection worker crashed: ${event.message || 'unknown error'}` };
        reject(new Error(error.message));
        // A crashed worker answers nothing more: replace it (with the same tokens) before going on.
        if (worker === this.#worker) {
          worker.terminate();
          this.restarts++;
          [this.#worker, this.#ready] = this.#start();
        }
        this.#fail(error);
      };
    });
    ready.catch(() => undefined);
    worker.postMessage({ type: 'init' } satisfies SelectRequest);
    if (this.#tokens !== undefined) this.#sendTokens(worker, this.#tokens.id, this.#tokens.set);
    return [worker, ready];
  }

  #sendTokens(worker: Worker, id: number, set: TokenSet): void {
    // Copied, not transferred: the page keeps the tokens to restart the worker with them.
    worker.postMessage({ type: 'dataset', id, ...set } satisfies SelectRequest);
  }

  /** Replaces the token set; later selections use it. Returns its id. */
  setTokens(set: TokenSet): number {
    const id = ++this.#nextDataset;
    this.#tokens = { id, set };
    this.#sendTokens(this.#worker, id, set);
    return id;
  }

  /** Asks for a selection with these settings; only the latest settings are guaranteed to run. */
  request(params: SelectionParams): void {
    if (this.#tokens === undefined) return;
    if (this.#inFlight === undefined) {
      this.#send(params);
      return;
    }
    this.#pending = params;
    if (performance.now() - this.#inFlight.since > RESTART_AFTER_MS) this.cancel(true);
  }

  /** Cancels the run in flight by restarting the worker; with `keepPending` the waiting settings then run. */
  cancel(keepPending = false): void {
    if (this.#inFlight === undefined) {
      if (!keepPending) this.#pending = undefined;
      return;
    }
    this.#worker.terminate();
    this.restarts++;
    this.#inFlight = undefined;
    if (!keepPending) this.#pending = undefined;
    [this.#worker, this.#ready] = this.#start();
    this.#drain();
  }

  #send(params: SelectionParams): void {
    const tokens = this.#tokens!;
    const id = ++this.#nextRequest;
    this.#inFlight = { id, params, dataset: tokens.id, since: performance.now() };
    this.#events.onBusy(true);
    this.#worker.postMessage({ type: 'select', id, dataset: tokens.id, ...params } satisfies SelectRequest);
  }

  #drain(): void {
    const next = this.#pending;
    this.#pending = undefined;
    if (next !== undefined) this.#send(next);
    else this.#events.onBusy(false);
  }

  #finish(msg: Extract<SelectResponse, { type: 'result' }>): void {
    const flight = this.#inFlight;
    if (flight === undefined || flight.id !== msg.id) return;
    this.#inFlight = undefined;
    // A stale result (newer settings waiting) is still shown: it is a real selection, and the
    // newer one follows at once.
    this.#events.onResult({ params: flight.params, dataset: flight.dataset, method: msg.method, kept: msg.kept, order: msg.order, scores: msg.scores, energy: msg.energy, ms: msg.ms });
    this.#drain();
  }

  #fail(error: WireError): void {
    const flight = this.#inFlight;
    this.#inFlight = undefined;
    this.#events.onError(error, flight?.params);
    this.#drain();
  }
}

/** Features of one photo. */
export interface PhotoFeatures {
  readonly tokens: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly d: number;
  readonly size: number;
  readonly ms: number;
}

export interface FeaturesReady {
  readonly backend: string;
  readonly skipped: readonly string[];
  readonly threads: number;
  readonly simd: boolean | undefined;
  readonly loadMs: number;
}

/** Drives the features worker (MobileNetV2). */
export class FeaturesClient {
  readonly #worker = createFeaturesWorker();
  readonly ready: Promise<FeaturesReady>;
  #next = 0;
  readonly #waiting = new Map<number, { resolve(f: PhotoFeatures): void; reject(e: Error & { code?: string }): void }>();

  constructor(backend: FeatureBackend, onProgress: (fraction: number, message: string) => void) {
    this.ready = new Promise<FeaturesReady>((resolve, reject) => {
      this.#worker.onmessage = (event: MessageEvent<FeaturesResponse>) => {
        const msg = event.data;
        if (msg.type === 'progress') onProgress(msg.fraction, msg.message);
        else if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'features') {
          this.#waiting.get(msg.id)?.resolve(msg);
          this.#waiting.delete(msg.id);
        } else {
          const error = Object.assign(new Error(msg.error.message), msg.error.code === undefined ? {} : { code: msg.error.code });
          if (msg.id === undefined) {
            reject(error);
            for (const w of this.#waiting.values()) w.reject(error);
            this.#waiting.clear();
          } else {
            this.#waiting.get(msg.id)?.reject(error);
            this.#waiting.delete(msg.id);
          }
        }
      };
      this.#worker.onerror = (event) => {
        event.preventDefault();
        const error = Object.assign(new Error(`the MobileNetV2 worker crashed: ${event.message || 'unknown error'}`), { code: 'E_MODEL' });
        reject(error);
        for (const w of this.#waiting.values()) w.reject(error);
        this.#waiting.clear();
      };
    });
    this.ready.catch(() => undefined);
    this.#worker.postMessage({ type: 'init', backend } satisfies FeaturesRequest);
  }

  /** Extracts the 24×24×1280 tokens of a photo's RGB pixels (copied to the worker). */
  extract(width: number, height: number, rgb: Uint8Array): Promise<PhotoFeatures> {
    const id = ++this.#next;
    return new Promise<PhotoFeatures>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'extract', id, width, height, rgb } satisfies FeaturesRequest);
    });
  }
}
