/**
 * Layout of the control block shared with the WebAssembly kernel (assembly/greedy.ts). Each
 * number is an f64 slot (byte offset 8 × slot); the B_* values are byte offsets of i32 words.
 * The constants at the top of assembly/greedy.ts must agree: test/wasm-abi.test.ts reads them and fails on any difference.
 * @internal
 */
export const Slot = {
  N: 0,
  D: 1,
  STRIDE: 2,
  M: 3,
  ALPHA: 4,
  NORMALIZE: 5,
  K: 6,
  TOL: 7,
  ENERGY: 8,
  MIN_KEEP: 9,
  USE_ENERGY: 10,
  HAS_WEIGHTS: 11,
  BATCH: 12,
  CACHE: 13,
  GUARD: 14,
  THREADS: 15,
  HEAP: 16,
  MAIN_CAN_WAIT: 17,
  X: 20,
  T: 21,
  W: 22,
  E0: 23,
  REL: 26,
  C: 27,
  CACHE_PTR: 28,
  ORDER: 29,
  SCORES: 30,
  CAPTURED: 31,
  END: 36,
  COUNT: 40,
  EXHAUSTED_AT: 41,
  TOTAL: 42,
  MAX_INIT: 43,
  PASSES: 44,
  ROWS: 45,
  RECOMPUTES: 46,
  ERROR: 47,
  SCALE: 48,
} as const;

/** Byte offsets of the barrier words inside the control block. @internal */
export const SyncWord = { COUNT: 512, GEN: 576, ABORT: 640, WAITERS: 704 } as const;
// (768 and 832 hold the greedy passes' work counters; the kernel resets them itself.)

/** Bytes reserved for the control block. @internal */
export const CONTROL_BYTES = 1024;

/** The exports of the kernel module. @internal */
export interface KernelExports {
  heapBase(): number;
  layout(ctl: number): number;
  run(ctl: number, tid: number): number;
}
