import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { encodeOutcome, type ResidualGreedyAttrs } from '../greedy/kernel-io.js';
import { ResidualGreedy } from '../kernel-names.js';
import { registerKernels } from '../register.js';
import { getFastEngine } from './engine.js';
import type { FastEngine } from './types.js';

/** Backends whose ResidualGreedy kernel the fast path replaces. */
const FAST_BACKENDS = ['cpu', 'wasm'] as const;

/** The kernels that were registered before the fast ones, restored by {@link unregisterFastKernels}. */
const REPLACED = Symbol.for('@resprune/linalg.fastReplaced');
type WithReplaced = typeof globalThis & { [REPLACED]?: Map<string, KernelConfig> };
const replaced = ((globalThis as WithReplaced)[REPLACED] ??= new Map<string, KernelConfig>());

/** The engine behind the registered fast kernels and the kernel function per backend. */
const ACTIVE = Symbol.for('@resprune/linalg.fastActive');
type WithActive = typeof globalThis & { [ACTIVE]?: { engine: FastEngine; funcs: Map<string, KernelFunc> } };

/**
 * The ResidualGreedy kernel function on the fast engine. The forced-order (energy-curve) mode and
 * anything else the engine does not cover go to `fallback`, the kernel it replaces.
 */
function fastResidualGreedy(engine: FastEngine, fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const kb = backend as KernelBackend;
    if (inputs['order'] !== undefined || engine.kind === 'js') {
      if (fallback === undefined) throw new Error('ResidualGreedy: no kernel to fall back to for the forced-order mode');
      return fallback(args);
    }
    const x = inputs['x']!;
    const [n, d] = x.shape as [number, number];
    const a = attrs as NamedAttrMap as ResidualGreedyAttrs;
    const values = kb.readSync(x.dataId) as Float32Array;
    const weights = Float64Array.from(kb.readSync(inputs['weights']!.dataId) as Float32Array);
    const k = Math.min(a.k, n);
    const r = engine.select(values, n, d, {
      keep: k,
      weights,
      rankTolerance: a.rankTolerance,
      ...(a.energyTarget < 0 ? {} : { energy: a.energyTarget, minKeep: Math.max(1, Math.min(a.minPicks, k)) }),
    });
    const residualPicks = r.exhaustedAt >= 0 ? r.exhaustedAt : r.order.length;
    const rowPasses = r.stats.passes - r.stats.recomputes;
    const out: TensorInfo[] = encodeOutcome(kb, {
      order: r.order,
      scores: r.scores,
      energy: r.captured,
      residualPicks,
      exhausted: r.exhaustedAt >= 0,
      gramRows: r.stats.gramRows,
      gramBlocks: r.stats.passes,
      cacheHits: Math.max(0, residualPicks - r.stats.recomputes - rowPasses),
      recomputes: r.stats.recomputes,
    });
    return out;
  };
}

/**
 * Registers the fast path (WebAssembly SIMD on worker threads, see {@link @resprune/linalg!createFastEngine}) as
 * the `ResPrune.ResidualGreedy` kernel of the `cpu` and `wasm` tfjs backends, replacing the
 * kernels registered there before (which still serve the forced-order mode, and come back with
 * {@link unregisterFastKernels}). The `tensorflow` backend keeps its composed ops. The package's
 * own kernels are registered first when they are not yet (`registerKernels()`); calling this
 * again is harmless.
 *
 * @param engine - the engine to run on; default: the shared {@link @resprune/linalg!getFastEngine}
 * @returns the engine the kernels run on
 * @example
 * ```ts
 * import { registerFastKernels } from '@resprune/linalg';
 * await registerFastKernels();   // ResidualGreedy on cpu and wasm now runs the fast path
 * ```
 */
export async function registerFastKernels(engine?: FastEngine): Promise<FastEngine> {
  const eng = engine ?? (await getFastEngine());
  const funcs = new Map<string, KernelFunc>();
  // the plain kernels first: the fast one hands the forced-order mode back to the kernel it replaces
  for (const backendName of FAST_BACKENDS) {
    if (!replaced.has(`${backendName}_${ResidualGreedy}`)) registerKernels(backendName);
  }
  for (const backendName of FAST_BACKENDS) {
    const key = `${backendName}_${ResidualGreedy}`;
    const current = tf.getKernel(ResidualGreedy, backendName);
    if (!replaced.has(key)) {
      if (current !== undefined) replaced.set(key, current);
    }
    if (current !== undefined) tf.unregisterKernel(ResidualGreedy, backendName);
    const kernelFunc = fastResidualGreedy(eng, replaced.get(key)?.kernelFunc);
    tf.registerKernel({ kernelName: ResidualGreedy, backendName, kernelFunc });
    funcs.set(backendName, kernelFunc);
  }
  (globalThis as WithActive)[ACTIVE] = { engine: eng, funcs };
  return eng;
}

/**
 * The fast engine that runs the ResPrune greedy on the current tfjs backend: the one
 * {@link registerFastKernels} registered, when the active backend is `cpu` or `wasm`, its
 * `ResidualGreedy` kernel is still the fast one, and the engine runs WebAssembly (a plain-JavaScript
 * engine defers to the plain kernels). Otherwise `undefined`. Callers that hold the whole selection
 * as typed arrays (`@resprune/selector`) use it to run relevance, transform and greedy in one
 * engine call instead of tfjs ops.
 *
 * @returns the engine, or `undefined`
 * @example
 * ```ts
 * import { activeFastEngine, registerFastKernels } from '@resprune/linalg';
 * await registerFastKernels();
 * console.log(activeFastEngine()?.kind); // 'wasm-threads' in Node
 * ```
 */
export function activeFastEngine(): FastEngine | undefined {
  const active = (globalThis as WithActive)[ACTIVE];
  if (active === undefined || active.engine.kind === 'js') return undefined;
  const backend = tf.getBackend();
  const fn = active.funcs.get(backend);
  if (fn === undefined || tf.getKernel(ResidualGreedy, backend)?.kernelFunc !== fn) return undefined;
  return active.engine;
}

/**
 * Removes the fast ResidualGreedy kernels and restores the ones they replaced.
 *
 * @example
 * ```ts
 * import { unregisterFastKernels } from '@resprune/linalg';
 * unregisterFastKernels();
 * ```
 */
export function unregisterFastKernels(): void {
  delete (globalThis as WithActive)[ACTIVE];
  for (const backendName of FAST_BACKENDS) {
    const key = `${backendName}_${ResidualGreedy}`;
    const before = replaced.get(key);
    if (before === undefined) continue;
    if (tf.getKernel(ResidualGreedy, backendName) !== undefined) tf.unregisterKernel(ResidualGreedy, backendName);
    tf.registerKernel(before);
    replaced.delete(key);
  }
}
