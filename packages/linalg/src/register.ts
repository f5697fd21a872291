import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { ResPruneError } from '@resprune/errors';
import { cpuKernelConfigs } from './kernels/cpu/index.js';
import { wasmKernelConfigs } from './kernels/wasm/index.js';

/** Backends with custom kernels in this package: `['cpu', 'wasm']`. */
export const KERNEL_BACKENDS = ['cpu', 'wasm'] as const;

/** A backend name from {@link KERNEL_BACKENDS}. */
export type KernelBackendName = (typeof KERNEL_BACKENDS)[number];

function registerAll(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
}

/**
 * Registers the cpu kernels (ResidualGreedy, GramRows, CosineMaxRelevance). Idempotent; nothing
 * registers at import time.
 *
 * @example
 * ```ts
 * import { registerCpuKernels } from '@resprune/linalg';
 * registerCpuKernels();
 * ```
 */
export function registerCpuKernels(): void {
  registerAll(cpuKernelConfigs);
}

/**
 * Registers the wasm kernels (ResidualGreedy, GramRows). Idempotent. Registering does not load
 * the wasm backend; the kernels run only when `tf.getBackend() === 'wasm'`.
 *
 * @example
 * ```ts
 * import { registerWasmKernels } from '@resprune/linalg';
 * registerWasmKernels();
 * ```
 */
export function registerWasmKernels(): void {
  registerAll(wasmKernelConfigs);
}

/**
 * Registers the custom kernels for one backend, or for every backend that has some (cpu, wasm)
 * when `backend` is omitted. Backends without custom kernels (e.g. tfjs-node's `tensorflow`, webgl)
 * need nothing: every op falls back to composed tfjs ops there.
 *
 * @param backend - `'cpu'`, `'wasm'`, or omitted for both
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKEND` for another backend name
 * @example
 * ```ts
 * import { registerKernels } from '@resprune/linalg';
 * registerKernels(); // cpu and wasm
 * ```
 */
export function registerKernels(backend?: string): void {
  if (backend === undefined) {
    registerCpuKernels();
    registerWasmKernels();
  } else if (backend === 'cpu') {
    registerCpuKernels();
  } else if (backend === 'wasm') {
    registerWasmKernels();
  } else {
    throw new ResPruneError('E_BACKEND', `registerKernels: no custom kernels for backend '${backend}'; known: ${KERNEL_BACKENDS.join(', ')} (other backends use composed ops and need no registration)`);
  }
}

/**
 * Removes this package's kernels for one backend or all (tests use it to exercise the composed
 * path on cpu and wasm).
 *
 * @param backend - `'cpu'`, `'wasm'`, or omitted for both
 * @example
 * ```ts
 * import { unregisterKernels } from '@resprune/linalg';
 * unregisterKernels('cpu');
 * ```
 */
export function unregisterKernels(backend?: KernelBackendName): void {
  const configs = [...cpuKernelConfigs, ...wasmKernelConfigs].filter((c) => backend === undefined || c.backendName === backend);
  for (const c of configs) if (tf.getKernel(c.kernelName, c.backendName) !== undefined) tf.unregisterKernel(c.kernelName, c.backendName);
}

/**
 * Whether a kernel `name` is registered for the active tfjs backend (the ops' dispatch test).
 *
 * @param name - a kernel name such as {@link ResidualGreedy}
 * @returns true when `tf.getKernel(name, tf.getBackend())` exists
 * @example
 * ```ts
 * import { hasKernel, ResidualGreedy } from '@resprune/linalg';
 * console.log(hasKernel(ResidualGreedy)); // true on cpu/wasm after registerKernels()
 * ```
 */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
