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
 * Registers the fast path (WebAssembly SIMD on worker threads, see {@link createFastEngine}) as
 * the `ResPrune.ResidualGreedy` kernel of the `cpu` and `wasm` tfjs backends, replacing the
 * kernels registered there before (which still serve the forced-order mode, and come back with
 * {@link unregisterFastKernels}). The `tensorflow` backend keeps its composed ops. The package's
 * own kernels are registered first when they are not yet (`registerKernels()`); calling this
 * again is harmless.
 *
 * @param engine - the engine to run on; default: the shared {@link getFastEngine}
 * @returns the engine the kernels run on
 * @example
 * ```ts
 * import { registerFastKernels } from '@resprune/linalg';
 * await registerFastKernels();   // ResidualGreedy on cpu and wasm now runs the fast path
 * ```
 */
export async function registerFastKernels(engine?: FastEngine): Promise<FastEngine> {
  const eng = engine ?? (await getFastEngine());
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
    tf.registerKernel({ kernelName: ResidualGreedy, backendName, kernelFunc: fastResidualGreedy(eng, replaced.get(key)?.kernelFunc) });
  }
  return eng;
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
  for (const backendName of FAST_BACKENDS) {
    const key = `${backendName}_${ResidualGreedy}`;
    const before = replaced.get(key);
    if (before === undefined) continue;
    if (tf.getKernel(ResidualGreedy, backendName) !== undefined) tf.unregisterKernel(ResidualGreedy, backendName);
    tf.registerKernel(before);
    replaced.delete(key);
  }
}
