import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  cosineMaxRelevance,
  registerFastKernels,
  registerKernels,
  residualGreedy,
  unregisterFastKernels,
  type FastEngine,
} from '@resprune/linalg';
import { relevanceFromCosine, selectWith } from '@resprune/selector';

/** One selection problem: tokens, text vectors and the budget. */
export interface Problem {
  readonly visual: Float32Array;
  readonly text: Float32Array;
  readonly n: number;
  readonly d: number;
  readonly k: number;
}

/** Timings of one implementation on one problem. */
export interface Timing {
  /** Best run, milliseconds. */
  readonly ms: number;
  /** Every run, milliseconds, in order. */
  readonly runs: number[];
  /** Picks of the last run, in pick order. */
  readonly order: Int32Array;
  /** Extra bytes held (WebAssembly memory for the fast path), when known. */
  readonly memoryBytes?: number;
  /** Implementation counters, when known. */
  readonly stats?: Record<string, number | string>;
}

/** An implementation the benchmark can time. */
export interface Runner {
  readonly name: string;
  /** Runs one selection from the Float32Array inputs to the pick indices. */
  run(p: Problem): { order: Int32Array; memoryBytes?: number; stats?: Record<string, number | string> };
  /** Prepares (switches the tfjs backend, registers kernels). */
  setup?(): Promise<void>;
  teardown?(): Promise<void> | void;
}

/**
 * Times `runner` `repeat` times on `p` (after its setup) and keeps the best. A run slower than
 * `slowMs` ends the repetitions early (the plain JavaScript paths at the large shapes).
 */
export async function time(runner: Runner, p: Problem, repeat: number, slowMs = 20_000): Promise<Timing> {
  await runner.setup?.();
  try {
    const runs: number[] = [];
    let last: ReturnType<Runner['run']> | undefined;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      last = runner.run(p);
      runs.push(performance.now() - t0);
      if (runs.at(-1)! > slowMs && runs.length >= 1) break;
    }
    return {
      ms: Math.min(...runs),
      runs,
      order: last!.order,
      ...(last!.memoryBytes === undefined ? {} : { memoryBytes: last!.memoryBytes }),
      ...(last!.stats === undefined ? {} : { stats: last!.stats }),
    };
  } finally {
    await runner.teardown?.();
  }
}

/** The fast path: relevance, transform and greedy inside the WebAssembly engine. */
export function fastRunner(name: string, engine: FastEngine): Runner {
  return {
    name,
    run(p) {
      const r = engine.select(p.visual, p.n, p.d, { keep: p.k, text: p.text, alpha: 1, normalize: 'none' });
      return {
        order: r.order,
        memoryBytes: engine.memoryBytes(),
        stats: { kind: r.stats.kind, threads: r.stats.threads, passes: r.stats.passes, gramRows: r.stats.gramRows, recomputes: r.stats.recomputes },
      };
    },
  };
}

/**
 * The tfjs path on one backend: tensors from the Float32Array inputs, the max-cosine relevance op,
 * the min–max relevance and `w = r`, then the `residualGreedy` op (the package's registered kernel
 * for that backend, or with `fastKernel` the fast path registered in its place).
 */
export function tfjsRunner(backend: 'cpu' | 'wasm', engine: FastEngine | undefined): Runner {
  return {
    name: engine === undefined ? `tfjs-${backend}` : `tfjs-${backend}+fast-kernel`,
    async setup() {
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
      await tf.ready();
      registerKernels();
      if (engine !== undefined) await registerFastKernels(engine);
    },
    teardown() {
      if (engine !== undefined) unregisterFastKernels();
    },
    run(p) {
      const m = p.text.length / p.d;
      const v = tf.tensor2d(p.visual, [p.n, p.d]);
      const t = tf.tensor2d(p.text, [m, p.d]);
      try {
        const c = cosineMaxRelevance(v, t);
        const w = relevanceFromCosine(c.dataSync());
        c.dispose();
        const r = residualGreedy(v, w, p.k);
        return { order: r.order, stats: { path: r.stats.path, gramRows: r.stats.gramRows } };
      } finally {
        v.dispose();
        t.dispose();
      }
    },
  };
}

/**
 * The library API as an application calls it: `selectWith('resprune', { data, shape }, …)` from
 * `@resprune/selector` on the tfjs cpu backend after `registerFastKernels(engine)`, so the whole
 * selection (input checks included) runs in one fast-engine call. This is what `resprune select`
 * times.
 */
export function selectorRunner(engine: FastEngine): Runner {
  return {
    name: 'select()',
    async setup() {
      if (!(await tf.setBackend('cpu'))) throw new Error('tfjs backend cpu did not initialise');
      await tf.ready();
      await registerFastKernels(engine);
    },
    teardown() {
      unregisterFastKernels();
    },
    run(p) {
      const m = p.text.length / p.d;
      const r = selectWith('resprune', { data: p.visual, shape: [p.n, p.d] }, { keep: p.k, text: { data: p.text, shape: [m, p.d] }, alpha: 1 });
      return { order: r.order };
    },
  };
}

/** First pick index where two orders differ, or -1 when they agree on the common length. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : len;
}

/** Whether two pick lists hold the same set of tokens. */
export function sameSet(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(Array.from(a));
  return Array.from(b).every((x) => s.has(x));
}
