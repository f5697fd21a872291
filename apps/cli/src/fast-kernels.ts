import { registerFastKernels, registerKernels } from '@resprune/linalg';

/**
 * Puts the WebAssembly SIMD greedy (two worker threads where available) behind the selector's
 * ResidualGreedy kernel on the cpu and wasm backends. Selections are the same as with the plain
 * kernels; where the fast engine cannot start, the plain kernels stay and the CLI still works.
 * Returns whether the fast path is active.
 */
export async function useFastKernels(): Promise<boolean> {
  // The plain kernels first, so they are in place even when the fast engine cannot start
  // (registerFastKernels registers them too, but only once its engine has loaded).
  registerKernels();
  try {
    await registerFastKernels();
    return true;
  } catch {
    return false;
  }
}
