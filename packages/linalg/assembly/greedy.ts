// ResPrune fast path: the residual-energy greedy (docs/guide/method.md#the-specification) as a WebAssembly SIMD kernel.
//
// AssemblyScript source, built by `pnpm --filter @resprune/linalg build:wasm` (assembly/build.mjs)
// into two modules: `greedy-threads.wasm` (shared memory, atomics; one instance per thread) and
// `greedy-single.wasm` (plain memory, one thread). JavaScript owns the memory: it writes the problem
// into a control block, calls `layout(ctl)` to place every buffer, copies the inputs in, then every
// thread calls `run(ctl, tid)`. The threads run the same program (SPMD) on their own slice of the
// tokens and meet at a spin barrier once per pick.
//
// Precision: dot products of f32 rows accumulate in four f32 SIMD lanes over the feature axis and
// the four lanes are summed in f64. Everything else (energies, coefficients, weights, captured
// energy) is f64. Every dot product uses the same order of operations, so a Gram entry has the
// same value whichever kernel computed it, whichever thread, and whether it was computed ahead.

// ---- control block: f64 slots (byte offset = 8 * slot) ------------------------------------------
const S_N = 0; // tokens
const S_D = 1; // features
const S_STRIDE = 2; // floats per row in X (d rounded up to a multiple of 4)
const S_M = 3; // text vectors
const S_ALPHA = 4;
const S_NORMALIZE = 5; // 0 none, 1 l2, 2 center
const S_K = 6; // most picks
const S_TOL = 7; // rank tolerance
const S_ENERGY = 8; // captured-energy target (used when S_USE_ENERGY = 1)
const S_MIN_KEEP = 9;
const S_USE_ENERGY = 10;
const S_HAS_WEIGHTS = 11; // 1: W holds the weights; 0: relevance from T (or ones)
const S_BATCH = 12; // Gram rows per pass over X (1..16)
const S_CACHE = 13; // cached Gram rows (>= S_BATCH)
const S_GUARD = 14; // recompute a pick's residual when E_j < guard * E0_j
const S_THREADS = 15;
const S_HEAP = 16; // first byte JS leaves to layout()
// pointers written by layout()
const S_X = 20;
const S_T = 21;
const S_W = 22;
const S_E0 = 23;
const S_EA = 24;
const S_EB = 25;
const S_REL = 26;
const S_C = 27;
const S_CACHE_PTR = 28;
const S_ORDER = 29;
const S_SCORES = 30;
const S_CAPTURED = 31;
const S_COLSUM = 32;
const S_RED = 33;
const S_PRIV = 34;
const S_PRIV_STRIDE = 35;
const S_END = 36;
const S_TDOT = 37; // f64 [M, N] text · token dot products
// outputs
const S_COUNT = 40; // picks made
const S_EXHAUSTED_AT = 41; // first filled slot, or -1
const S_TOTAL = 42; // sum_i w_i E0_i
const S_MAX_INIT = 43; // max_i w_i E0_i
const S_PASSES = 44; // passes over X in the greedy
const S_ROWS = 45; // Gram rows computed
const S_RECOMPUTES = 46; // guarded picks
const S_ERROR = 47; // 0 ok, 1 barrier timeout, 2 non-finite input
const S_SCALE = 48; // power of two X was multiplied by (energies are in scaled units)
const S_MAIN_CAN_WAIT = 17; // 1 when thread 0 may block (Node, browser workers), 0 on a page's main thread
// i32 synchronisation words (byte offsets)
const B_COUNT: usize = 512;
const B_GEN: usize = 576;
const B_ABORT: usize = 640;
const B_WAITERS: usize = 704;
const B_CHUNK: usize = 768; // two i32 work counters (768, 832), one per pass parity
/** Tokens per unit of work handed out in a greedy pass (a multiple of 8). */
const CHUNK = 32;
const SPINS: i32 = 20000;
/** First free byte after the module's static data (the control block goes at or after it). */
export function heapBase(): usize {
  return __heap_base;
}
/** Bytes the control block occupies; layout() starts after it. */
export const CONTROL_BYTES: i32 = 1024;
const MAX_BATCH = 16;
const START_BATCH = 8;

// ---- per-thread state (globals are per instance, i.e. per thread) ----------------------------
let ctl: usize = 0;
let tid: i32 = 0;
let nthreads: i32 = 1;
let canWait: bool = false;
let N: i32 = 0;
let D: i32 = 0;
let rowBytes: usize = 0; // stride * 4
let X: usize = 0;
let W: usize = 0;
let E0: usize = 0;
let C: usize = 0;
let CS: usize = 0; // bytes per row of C (see cRowBytes)
let CACHE: usize = 0;
let RED: usize = 0;
let lo: i32 = 0;
let hi: i32 = 0;
// private area
let pPicked: usize = 0; // u8[N]
let pSlotOf: usize = 0; // i32[N]
let pSlotTok: usize = 0; // i32[R]
let pSlotRed: usize = 0; // i32[R]: picks already subtracted from the cached row
let pPicks: usize = 0; // i32[K]
let pBeta: usize = 0; // f64[K]
let pTmp: usize = 0; // f64[K]
let pCoef: usize = 0; // f64[K * MAX_BATCH]: C[q, c_b] of the rows of a pass (reduceRows)
let pR64: usize = 0; // f64[stride]
let pR32: usize = 0; // f32[stride]
let pMu: usize = 0; // f32[stride]
let pTNorm: usize = 0; // f64[M]
let pRowPtr: usize = 0; // u32[MAX_BATCH]
let pOutPtr: usize = 0; // u32[MAX_BATCH]
let pCandTok: usize = 0; // i32[MAX_BATCH]
let pCandScore: usize = 0; // f64[MAX_BATCH]

@inline function gf(slot: i32): f64 {
  return load<f64>(ctl + (<usize>slot << 3));
}
@inline function gi(slot: i32): i32 {
  return <i32>load<f64>(ctl + (<usize>slot << 3));
}
@inline function gp(slot: i32): usize {
  return <usize>load<f64>(ctl + (<usize>slot << 3));
}
@inline function sf(slot: i32, v: f64): void {
  store<f64>(ctl + (<usize>slot << 3), v);
}
@inline function align64(p: usize): usize {
  return (p + 63) & ~(<usize>63);
}

/**
 * Bytes per row of the coefficient matrix C [K, N] f64: N rounded up to whole cache lines, and to
 * an odd number of them, so that one cache line from each of many consecutive rows (what
 * reduceRows reads for a block of tokens) spreads over every cache set instead of a few.
 */
function cRowBytes(n: usize): usize {
  return (((n + 7) >> 3) | 1) << 6;
}

/**
 * Places every buffer after the control block and writes the pointers into it. Returns the first
 * byte past the last buffer (JS grows the memory to cover it).
 */
export function layout(c: usize): f64 {
  ctl = c;
  const n = <usize>gi(S_N);
  const stride = <usize>gi(S_STRIDE);
  const m = <usize>gi(S_M);
  const k = <usize>gi(S_K);
  const r = <usize>gi(S_CACHE);
  const t = <usize>gi(S_THREADS);
  let p = align64(max<usize>(gp(S_HEAP), c + <usize>CONTROL_BYTES));
  sf(S_X, <f64>p);
  p = align64(p + n * stride * 4);
  sf(S_T, <f64>p);
  p = align64(p + m * stride * 4);
  sf(S_W, <f64>p);
  p = align64(p + n * 8);
  sf(S_E0, <f64>p);
  p = align64(p + n * 8);
  sf(S_EA, <f64>p);
  p = align64(p + n * 8);
  sf(S_EB, <f64>p);
  p = align64(p + n * 8);
  sf(S_REL, <f64>p);
  p = align64(p + n * 8);
  sf(S_TDOT, <f64>p);
  p = align64(p + m * n * 8);
  sf(S_C, <f64>p);
  p = align64(p + k * cRowBytes(n));
  sf(S_CACHE_PTR, <f64>p);
  p = align64(p + r * n * 8);
  sf(S_ORDER, <f64>p);
  p = align64(p + k * 4);
  sf(S_SCORES, <f64>p);
  p = align64(p + k * 8);
  sf(S_CAPTURED, <f64>p);
  p = align64(p + k * 8);
  sf(S_COLSUM, <f64>p);
  p = align64(p + stride * 8);
  sf(S_RED, <f64>p);
  p = align64(p + 2 * t * 64);
  const priv =
    align64(n) + align64(n * 4) + 2 * align64(r * 4) + align64(k * 4) + 2 * align64(k * 8) + align64(k * MAX_BATCH * 8) +
    align64(stride * 8) + 2 * align64(stride * 4) + align64(m * 8) + 4 * align64(MAX_BATCH * 8);
  sf(S_PRIV, <f64>p);
  sf(S_PRIV_STRIDE, <f64>priv);
  p = align64(p + t * priv);
  sf(S_END, <f64>p);
  return <f64>p;
}

// Reduction slots are double-buffered by barrier parity: a thread writes its slot just before a
// barrier and everyone reads all slots just after it, so a fast thread that has already moved on
// writes the other buffer while a slow one is still reading.
let passed: i32 = 0;
/** This thread's reduction slot for the coming barrier. */
@inline function redW(): usize {
  return RED + ((<usize>((passed & 1) * nthreads + tid)) << 6);
}
/** Thread t's reduction slot written before the last barrier. */
@inline function redR(t: i32): usize {
  return RED + ((<usize>(((passed - 1) & 1) * nthreads + t)) << 6);
}

// ---- barrier -------------------------------------------------------------------------------------

/**
 * Barrier over all threads: spin briefly (the usual wait is microseconds), then sleep on the
 * generation word where this thread may block (workers; Node's main thread), so a thread that lost
 * its core to another process does not cost the others a busy core. Returns false when the run was
 * aborted (a worker trapped, or never arrived within about 20 s).
 */
function barrier(): bool {
  passed++;
  if (nthreads == 1) return true;
  if (ASC_FEATURE_THREADS) {
    const gen = atomic.load<i32>(ctl + B_GEN);
    if (atomic.add<i32>(ctl + B_COUNT, 1) == nthreads - 1) {
      atomic.store<i32>(ctl + B_COUNT, 0);
      atomic.store<i32>(ctl + B_GEN, gen + 1);
      if (atomic.load<i32>(ctl + B_WAITERS) > 0) atomic.notify(ctl + B_GEN, nthreads);
      return atomic.load<i32>(ctl + B_ABORT) == 0;
    }
    let spins: i32 = 0;
    let sleeps: i32 = 0;
    while (atomic.load<i32>(ctl + B_GEN) == gen) {
      if (atomic.load<i32>(ctl + B_ABORT) != 0) return false;
      if (spins < SPINS) {
        spins++;
        continue;
      }
      if (canWait) {
        atomic.add<i32>(ctl + B_WAITERS, 1);
        memory.atomic.wait32(ctl + B_GEN, gen, 1000000); // 1 ms
        atomic.sub<i32>(ctl + B_WAITERS, 1);
        sleeps++;
      } else {
        spins++;
        if (spins >= SPINS + 4096) {
          spins = SPINS;
          sleeps++; // ~ 4096 loads: a few microseconds
        }
      }
      if (tid == 0 && sleeps > (canWait ? 20000 : 5000000)) {
        atomic.store<i32>(ctl + B_ABORT, 1);
        sf(S_ERROR, 1);
        return false;
      }
    }
    return atomic.load<i32>(ctl + B_ABORT) == 0;
  }
  return true;
}

// ---- dot-product micro-kernels -------------------------------------------------------------------

@inline function hsum(v: v128): f64 {
  return (
    (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1)) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3))
  );
}

/**
 * out_r[i + c] = row_r · x_{i+c}, r < 4, c < 2: eight f32x4 accumulators. The loop is deliberately
 * not unrolled: V8 keeps these eight accumulators and the six loaded vectors in registers, and an
 * unrolled body spilled them (about 30 % slower on x86-64).
 */
function k4x2(p0: usize, p1: usize, p2: usize, p3: usize, a0: usize, a1: usize, o0: usize, o1: usize, o2: usize, o3: usize, i: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  const end = rowBytes;
  for (let o: usize = 0; o < end; o += 16) {
    const x0 = v128.load(a0 + o);
    const x1 = v128.load(a1 + o);
    let v = v128.load(p0 + o);
    s00 = f32x4.add(s00, f32x4.mul(v, x0));
    s01 = f32x4.add(s01, f32x4.mul(v, x1));
    v = v128.load(p1 + o);
    s10 = f32x4.add(s10, f32x4.mul(v, x0));
    s11 = f32x4.add(s11, f32x4.mul(v, x1));
    v = v128.load(p2 + o);
    s20 = f32x4.add(s20, f32x4.mul(v, x0));
    s21 = f32x4.add(s21, f32x4.mul(v, x1));
    v = v128.load(p3 + o);
    s30 = f32x4.add(s30, f32x4.mul(v, x0));
    s31 = f32x4.add(s31, f32x4.mul(v, x1));
  }
  const b = <usize>i << 3;
  store<f64>(o0 + b, hsum(s00));
  store<f64>(o0 + b + 8, hsum(s01));
  store<f64>(o1 + b, hsum(s10));
  store<f64>(o1 + b + 8, hsum(s11));
  store<f64>(o2 + b, hsum(s20));
  store<f64>(o2 + b + 8, hsum(s21));
  store<f64>(o3 + b, hsum(s30));
  store<f64>(o3 + b + 8, hsum(s31));
}

function k1x4(p0: usize, a0: usize, a1: usize, a2: usize, a3: usize, o0: usize, i: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  const end = rowBytes;
  for (let o: usize = 0; o < end; o += 16) {
    const v = v128.load(p0 + o);
    s0 = f32x4.add(s0, f32x4.mul(v, v128.load(a0 + o)));
    s1 = f32x4.add(s1, f32x4.mul(v, v128.load(a1 + o)));
    s2 = f32x4.add(s2, f32x4.mul(v, v128.load(a2 + o)));
    s3 = f32x4.add(s3, f32x4.mul(v, v128.load(a3 + o)));
  }
  const b = <usize>i << 3;
  store<f64>(o0 + b, hsum(s0));
  store<f64>(o0 + b + 8, hsum(s1));
  store<f64>(o0 + b + 16, hsum(s2));
  store<f64>(o0 + b + 24, hsum(s3));
}

function k1x1(p0: usize, a0: usize): f64 {
  let s0 = f32x4.splat(0);
  const end = rowBytes;
  for (let o: usize = 0; o < end; o += 16) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(p0 + o), v128.load(a0 + o)));
  }
  return hsum(s0);
}

/**
 * For each of `nrows` pivot rows (pointers at pRowPtr) and every token i in [lo, hi):
 * out_r[i] = row_r · x_i, written as f64 at pOutPtr[r] + 8 i. Tokens are the outer loop (four at a
 * time), so each token row is read from memory once per pass and reused from cache by every pivot
 * row; the pivot rows (at most 16) stay in L2.
 */
function dotRows(nrows: i32): void {
  const groups = nrows & ~3;
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const a0 = X + <usize>i * rowBytes;
    const a1 = a0 + rowBytes;
    const a2 = a1 + rowBytes;
    const a3 = a2 + rowBytes;
    for (let r = 0; r < groups; r += 4) {
      const pr = pRowPtr + (<usize>r << 2);
      const po = pOutPtr + (<usize>r << 2);
      const p0 = <usize>load<u32>(pr);
      const p1 = <usize>load<u32>(pr, 4);
      const p2 = <usize>load<u32>(pr, 8);
      const p3 = <usize>load<u32>(pr, 12);
      const o0 = <usize>load<u32>(po);
      const o1 = <usize>load<u32>(po, 4);
      const o2 = <usize>load<u32>(po, 8);
      const o3 = <usize>load<u32>(po, 12);
      k4x2(p0, p1, p2, p3, a0, a1, o0, o1, o2, o3, i);
      k4x2(p0, p1, p2, p3, a2, a3, o0, o1, o2, o3, i + 2);
    }
    for (let r = groups; r < nrows; r++) {
      k1x4(<usize>load<u32>(pRowPtr + (<usize>r << 2)), a0, a1, a2, a3, <usize>load<u32>(pOutPtr + (<usize>r << 2)), i);
    }
  }
  for (; i < hi; i++) {
    const a0 = X + <usize>i * rowBytes;
    for (let r = 0; r < nrows; r++) {
      store<f64>(<usize>load<u32>(pOutPtr + (<usize>r << 2)) + (<usize>i << 3), k1x1(<usize>load<u32>(pRowPtr + (<usize>r << 2)), a0));
    }
  }
}

// ---- phases --------------------------------------------------------------------------------------

/** Squared norms of own rows into E0 (four rows at a time, each in the Gram kernels' order). */
function ownNorms(): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const a0 = X + <usize>i * rowBytes;
    const a1 = a0 + rowBytes;
    const a2 = a1 + rowBytes;
    const a3 = a2 + rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let o: usize = 0; o < rowBytes; o += 16) {
      const v0 = v128.load(a0 + o);
      const v1 = v128.load(a1 + o);
      const v2 = v128.load(a2 + o);
      const v3 = v128.load(a3 + o);
      s0 = f32x4.add(s0, f32x4.mul(v0, v0));
      s1 = f32x4.add(s1, f32x4.mul(v1, v1));
      s2 = f32x4.add(s2, f32x4.mul(v2, v2));
      s3 = f32x4.add(s3, f32x4.mul(v3, v3));
    }
    const b = E0 + (<usize>i << 3);
    store<f64>(b, hsum(s0));
    store<f64>(b + 8, hsum(s1));
    store<f64>(b + 16, hsum(s2));
    store<f64>(b + 24, hsum(s3));
  }
  for (; i < hi; i++) {
    const a = X + <usize>i * rowBytes;
    store<f64>(E0 + (<usize>i << 3), k1x1(a, a));
  }
}

/**
 * Phase 1a, own rows: squared norms, and the largest |x| (NaN when any entry is NaN) into
 * RED[tid] + 32, read in the same pass. With text (and no given weights) the text · token dot
 * products of each chunk of 16 rows follow right after its norms, while those rows are still in
 * cache, so X is read from memory once for both.
 */
function phaseNorms(): void {
  let mx = f32x4.splat(0);
  const withText = gi(S_HAS_WEIGHTS) == 0 && gi(S_M) > 0;
  const ownLo = lo;
  const ownHi = hi;
  for (let c0 = ownLo; c0 < ownHi; c0 += 16) {
    const c1 = min(c0 + 16, ownHi);
    let i = c0;
    for (; i + 4 <= c1; i += 4) {
      const a0 = X + <usize>i * rowBytes;
      const a1 = a0 + rowBytes;
      const a2 = a1 + rowBytes;
      const a3 = a2 + rowBytes;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const v0 = v128.load(a0 + o);
        const v1 = v128.load(a1 + o);
        const v2 = v128.load(a2 + o);
        const v3 = v128.load(a3 + o);
        s0 = f32x4.add(s0, f32x4.mul(v0, v0));
        s1 = f32x4.add(s1, f32x4.mul(v1, v1));
        s2 = f32x4.add(s2, f32x4.mul(v2, v2));
        s3 = f32x4.add(s3, f32x4.mul(v3, v3));
        mx = f32x4.max(mx, f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3))));
      }
      const b = E0 + (<usize>i << 3);
      store<f64>(b, hsum(s0));
      store<f64>(b + 8, hsum(s1));
      store<f64>(b + 16, hsum(s2));
      store<f64>(b + 24, hsum(s3));
    }
    for (; i < c1; i++) {
      const a = X + <usize>i * rowBytes;
      for (let o: usize = 0; o < rowBytes; o += 16) mx = f32x4.max(mx, f32x4.abs(v128.load(a + o)));
      store<f64>(E0 + (<usize>i << 3), k1x1(a, a));
    }
    if (withText) {
      lo = c0;
      hi = c1;
      textDots();
      lo = ownLo;
      hi = ownHi;
    }
  }
  const m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  store<f64>(redW() + 32, <f64>m);
}

/** Largest |x| over all threads (after a barrier); NaN when any thread saw a NaN. */
function globalMaxAbs(): f64 {
  let m: f64 = 0;
  for (let t = 0; t < nthreads; t++) {
    const v = load<f64>(redR(t) + 32);
    if (isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** text · token for the rows [lo, hi), up to MAX_BATCH text rows per pass (the Gram kernels), into TDOT. */
function textDots(): void {
  const m = gi(S_M);
  const T = gp(S_T);
  const tdot = gp(S_TDOT);
  for (let q0 = 0; q0 < m; q0 += MAX_BATCH) {
    const cnt = min(MAX_BATCH, m - q0);
    for (let q = 0; q < cnt; q++) {
      store<u32>(pRowPtr + (<usize>q << 2), <u32>(T + <usize>(q0 + q) * rowBytes));
      store<u32>(pOutPtr + (<usize>q << 2), <u32>(tdot + <usize>(q0 + q) * <usize>N * 8));
    }
    dotRows(cnt);
  }
}


/** Phase 1b, own rows: (rescale), raw squared norms (into E0), cosine relevance (into REL), column sums. */
function phaseStats(scale: f32): void {
  const m = gi(S_M);
  const T = gp(S_T);
  const rel = gp(S_REL);
  const hasW = gi(S_HAS_WEIGHTS) != 0;
  if (scale != 1) {
    const sv = f32x4.splat(scale);
    const a1 = X + <usize>hi * rowBytes;
    for (let a = X + <usize>lo * rowBytes; a < a1; a += 16) v128.store(a, f32x4.mul(v128.load(a), sv));
    ownNorms();
  }
  if (!hasW && m > 0) {
    const tdot = gp(S_TDOT);
    for (let q = 0; q < m; q++) {
      const t = T + <usize>q * rowBytes;
      store<f64>(pTNorm + (<usize>q << 3), k1x1(t, t));
    }
    // text · token for own rows: phaseNorms computed them, unless X was rescaled since
    if (scale != 1) textDots();
    for (let i = lo; i < hi; i++) {
      const vn = Math.sqrt(load<f64>(E0 + (<usize>i << 3)));
      let best = -Infinity;
      for (let q = 0; q < m; q++) {
        const den = vn * Math.sqrt(load<f64>(pTNorm + (<usize>q << 3)));
        const cs = den > 0 ? load<f64>(tdot + (<usize>q * <usize>N + <usize>i) * 8) / den : 0.0;
        if (cs > best) best = cs;
      }
      store<f64>(rel + (<usize>i << 3), max(-1.0, min(1.0, best)));
    }
  }
  if (gi(S_NORMALIZE) == 2) {
    // column sums for the mean, split over threads by columns so every column is summed in row
    // order in f64 whatever the thread count (results do not depend on it)
    const stride = <usize>gi(S_STRIDE);
    const per = ((stride >> 2) + <usize>nthreads - 1) / <usize>nthreads << 2;
    const c0 = min(<usize>tid * per, stride);
    const c1 = min(c0 + per, stride);
    const cs = gp(S_COLSUM);
    if (c1 > c0) {
      memory.fill(cs + (c0 << 3), 0, (c1 - c0) << 3);
      for (let r = 0; r < N; r++) {
        const row = X + <usize>r * rowBytes;
        for (let k = c0; k < c1; k += 4) {
          const v = v128.load(row + (k << 2));
          const a = cs + (k << 3);
          v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
          v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))));
        }
      }
    }
  }
}

/** Phase 2, own rows: weights, transform, initial energies. Returns nothing; fills RED slots. */
function phaseTransform(): void {
  const n = N;
  const hasW = gi(S_HAS_WEIGHTS) != 0;
  const m = gi(S_M);
  const alpha = gf(S_ALPHA);
  const mode = gi(S_NORMALIZE);
  const stride = <usize>gi(S_STRIDE);
  if (!hasW) {
    if (m > 0) {
      const rel = gp(S_REL);
      let cmin = Infinity, cmax = -Infinity;
      for (let i = 0; i < n; i++) {
        const c = load<f64>(rel + (<usize>i << 3));
        if (c < cmin) cmin = c;
        if (c > cmax) cmax = c;
      }
      const den = cmax - cmin + 1e-6;
      for (let i = lo; i < hi; i++) {
        const r = (load<f64>(rel + (<usize>i << 3)) - cmin + 1e-6) / den;
        store<f64>(W + (<usize>i << 3), alpha == 0 ? 1.0 : Math.pow(r, alpha));
      }
    } else {
      for (let i = lo; i < hi; i++) store<f64>(W + (<usize>i << 3), 1.0);
    }
  }
  if (mode == 2) {
    // mean token, in the same f64 order on every thread
    const cs = gp(S_COLSUM);
    for (let k: usize = 0; k < stride; k++) store<f32>(pMu + (k << 2), <f32>(load<f64>(cs + (k << 3)) / <f64>n));
    const d = <usize>D;
    for (let k = d; k < stride; k++) store<f32>(pMu + (k << 2), 0);
    for (let i = lo; i < hi; i++) {
      const a = X + <usize>i * rowBytes;
      for (let o: usize = 0; o < rowBytes; o += 16) v128.store(a + o, f32x4.sub(v128.load(a + o), v128.load(pMu + o)));
    }
    ownNorms();
  } else if (mode == 1) {
    for (let i = lo; i < hi; i++) {
      const a = X + <usize>i * rowBytes;
      const nn = load<f64>(E0 + (<usize>i << 3));
      if (nn > 0) {
        const s = f32x4.splat(<f32>(1.0 / Math.sqrt(nn)));
        for (let o: usize = 0; o < rowBytes; o += 16) v128.store(a + o, f32x4.mul(v128.load(a + o), s));
      }
    }
    // unit rows have energy exactly 1 (not 1 ± float32 rounding), so ties are ties, as the spec says
    for (let i = lo; i < hi; i++) {
      const e = E0 + (<usize>i << 3);
      if (load<f64>(e) > 0) store<f64>(e, 1.0);
    }
  }
}

// ---- greedy --------------------------------------------------------------------------------------

/** Local argmax of w_i E_i over own unpicked rows, plus the partial energy sum, into RED[tid]. */
function reduceLocal(E: usize): void {
  let best: f64 = -1;
  let bi: i32 = -1;
  let sum: f64 = 0;
  for (let i = lo; i < hi; i++) {
    const s = load<f64>(W + (<usize>i << 3)) * load<f64>(E + (<usize>i << 3));
    sum += s;
    if (load<u8>(pPicked + <usize>i) == 0 && s > best) {
      best = s;
      bi = i;
    }
  }
  const r = redW();
  store<f64>(r, best);
  store<f64>(r + 8, <f64>bi);
  store<f64>(r + 16, sum);
}

let gBest: f64 = -1;
let gIdx: i32 = -1;
let gSum: f64 = 0;
let gMax: f64 = 0;

/** Combines every thread's RED slot (after a barrier), in thread order. */
function reduceGlobal(): void {
  gBest = -1;
  gIdx = -1;
  gSum = 0;
  gMax = 0;
  for (let t = 0; t < nthreads; t++) {
    const r = redR(t);
    const s = load<f64>(r);
    const i = <i32>load<f64>(r + 8);
    gSum += load<f64>(r + 16);
    const mx = load<f64>(r + 24);
    if (mx > gMax) gMax = mx;
    if (i >= 0 && (s > gBest || (s == gBest && i < gIdx))) {
      gBest = s;
      gIdx = i;
    }
  }
}

/** Chooses the rows of this pass: the miss j, then the best-scoring uncached candidates. */
function planPass(j: i32, Ecur: usize, batch: i32, cap: i32): i32 {
  // candidates by score, kept sorted descending in pCandTok/pCandScore (index 0 is j)
  store<i32>(pCandTok, j);
  store<f64>(pCandScore, Infinity);
  let cnt = 1;
  if (batch > 1) {
    for (let i = 0; i < N; i++) {
      if (i == j || load<u8>(pPicked + <usize>i) != 0 || load<i32>(pSlotOf + (<usize>i << 2)) >= 0) continue;
      const s = load<f64>(W + (<usize>i << 3)) * load<f64>(Ecur + (<usize>i << 3));
      if (cnt == batch && s <= load<f64>(pCandScore + (<usize>(cnt - 1) << 3))) continue;
      let p = cnt < batch ? cnt : cnt - 1;
      while (p > 1 && load<f64>(pCandScore + (<usize>(p - 1) << 3)) < s) {
        store<i32>(pCandTok + (<usize>p << 2), load<i32>(pCandTok + (<usize>(p - 1) << 2)));
        store<f64>(pCandScore + (<usize>p << 3), load<f64>(pCandScore + (<usize>(p - 1) << 3)));
        p--;
      }
      store<i32>(pCandTok + (<usize>p << 2), i);
      store<f64>(pCandScore + (<usize>p << 3), s);
      if (cnt < batch) cnt++;
    }
  }
  // slots: free ones first, then evict the cached rows of lowest current score
  for (let c = 0; c < cnt; c++) {
    let slot = -1;
    for (let q = 0; q < cap; q++) {
      if (load<i32>(pSlotTok + (<usize>q << 2)) < 0) {
        slot = q;
        break;
      }
    }
    if (slot < 0) {
      let worst = Infinity;
      for (let q = 0; q < cap; q++) {
        const tok = load<i32>(pSlotTok + (<usize>q << 2));
        let inPass = false;
        for (let e = 0; e < c; e++) if (load<i32>(pCandTok + (<usize>e << 2)) == tok) inPass = true;
        if (inPass) continue;
        const s = load<f64>(W + (<usize>tok << 3)) * load<f64>(Ecur + (<usize>tok << 3));
        if (s < worst) {
          worst = s;
          slot = q;
        }
      }
      store<i32>(pSlotOf + (<usize>load<i32>(pSlotTok + (<usize>slot << 2)) << 2), -1);
    }
    const tok = load<i32>(pCandTok + (<usize>c << 2));
    store<i32>(pSlotTok + (<usize>slot << 2), tok);
    store<i32>(pSlotOf + (<usize>tok << 2), slot);
    store<u32>(pRowPtr + (<usize>c << 2), <u32>(X + <usize>tok * rowBytes));
    store<u32>(pOutPtr + (<usize>c << 2), <u32>(CACHE + <usize>slot * <usize>N * 8));
  }
  return cnt;
}

/**
 * The true residual of x_j against the picks so far, formed explicitly in feature space and
 * projected twice (so float cancellation in E_j = ‖x_j‖² − Σ C² does not matter). Leaves r in
 * pR64 (f64) and pR32 (f32) and returns ‖r‖².
 */
function recomputeResidual(j: i32, t: i32): f64 {
  const d = D;
  const nn = <usize>N;
  const xj = X + <usize>j * rowBytes;
  for (let k = 0; k < d; k++) store<f64>(pR64 + (<usize>k << 3), <f64>load<f32>(xj + (<usize>k << 2)));
  for (let pass = 0; pass < 2; pass++) {
    // y_q = x_{p_q} · r  (pass 0 uses C[q, j] directly: the coefficients of x_j)
    for (let q = 0; q < t; q++) {
      let y: f64 = 0;
      if (pass == 0) {
        y = load<f64>(C + <usize>q * CS + (<usize>j << 3));
        store<f64>(pTmp + (<usize>q << 3), y);
      } else {
        const xp = X + <usize>load<i32>(pPicks + (<usize>q << 2)) * rowBytes;
        for (let k = 0; k < d; k++) y += <f64>load<f32>(xp + (<usize>k << 2)) * load<f64>(pR64 + (<usize>k << 3));
        // forward solve L h = y, L[s][q] = C[q, p_s]
        for (let s = 0; s < q; s++) {
          y -= load<f64>(C + <usize>s * CS + (<usize>load<i32>(pPicks + (<usize>q << 2)) << 3)) * load<f64>(pTmp + (<usize>s << 3));
        }
        y /= load<f64>(C + <usize>q * CS + (<usize>load<i32>(pPicks + (<usize>q << 2)) << 3));
        store<f64>(pTmp + (<usize>q << 3), y);
      }
    }
    // back solve L^T beta = h
    for (let q = t - 1; q >= 0; q--) {
      let b = load<f64>(pTmp + (<usize>q << 3));
      for (let s = q + 1; s < t; s++) {
        b -= load<f64>(C + <usize>q * CS + (<usize>load<i32>(pPicks + (<usize>s << 2)) << 3)) * load<f64>(pBeta + (<usize>s << 3));
      }
      b /= load<f64>(C + <usize>q * CS + (<usize>load<i32>(pPicks + (<usize>q << 2)) << 3));
      store<f64>(pBeta + (<usize>q << 3), b);
    }
    for (let q = 0; q < t; q++) {
      const b = load<f64>(pBeta + (<usize>q << 3));
      const xp = X + <usize>load<i32>(pPicks + (<usize>q << 2)) * rowBytes;
      for (let k = 0; k < d; k++) {
        const a = pR64 + (<usize>k << 3);
        store<f64>(a, load<f64>(a) - b * <f64>load<f32>(xp + (<usize>k << 2)));
      }
    }
  }
  let e: f64 = 0;
  for (let k = 0; k < d; k++) {
    const v = load<f64>(pR64 + (<usize>k << 3));
    e += v * v;
    store<f32>(pR32 + (<usize>k << 2), <f32>v);
  }
  for (let k = d; k < gi(S_STRIDE); k++) store<f32>(pR32 + (<usize>k << 2), 0);
  return e;
}

/** Fills the coefficient table C[q, c_b] ([t, width], zero padded) for reduceRows. */
function buildCoef(cnt: i32, t: i32): void {
  const width = (cnt + 1) & ~1;
  const cstep = <usize>width << 3;
  for (let q = 0; q < t; q++) {
    const Cq = C + <usize>q * CS;
    const dst = pCoef + <usize>q * cstep;
    for (let b = 0; b < cnt; b++) store<f64>(dst + (<usize>b << 3), load<f64>(Cq + (<usize>load<i32>(pCandTok + (<usize>b << 2)) << 3)));
    if (width > cnt) store<f64>(dst + (<usize>cnt << 3), 0.0);
  }
}

/**
 * Subtracts the picks made so far from the Gram rows just computed, for the tokens [lo, hi):
 * row_b[i] -= C[q, c_b] C[q, i] for q < t, in q order, exactly as applyPick would later. Done
 * once per pass, so C is read once per pass instead of once per pick. Needs buildCoef first.
 *
 * This is a small matrix product (rows × t) · (t × tokens), blocked so that it runs from
 * registers: two rows × eight tokens (eight f64x2 accumulators, one cache line of each C row per
 * q) stay in registers over the whole q loop. Every element still sees the subtractions one at a
 * time in q order (multiply, then subtract; never fused), so the result is bit-identical to the
 * row-by-row loop in applyPick.
 */
function reduceRows(cnt: i32, t: i32): void {
  const rowStride = CS;
  const cstep = <usize>((cnt + 1) & ~1) << 3;
  const cend = pCoef + <usize>t * cstep;
  // blocks of eight tokens (one cache line of each C row), every row of the pass on each block,
  // so each C row is read from memory once per pass
  let i = lo;
  for (; i + 8 <= hi; i += 8) {
    const o = <usize>i << 3;
    for (let b = 0; b < cnt; b += 2) {
      const r0 = <usize>load<u32>(pOutPtr + (<usize>b << 2)) + o;
      if (b + 1 < cnt) {
        const r1 = <usize>load<u32>(pOutPtr + (<usize>(b + 1) << 2)) + o;
        let a0 = v128.load(r0), a1 = v128.load(r0, 16), a2 = v128.load(r0, 32), a3 = v128.load(r0, 48);
        let b0 = v128.load(r1), b1 = v128.load(r1, 16), b2 = v128.load(r1, 32), b3 = v128.load(r1, 48);
        let cq = C + o;
        for (let cf = pCoef + (<usize>b << 3); cf < cend; cf += cstep) {
          const k0 = v128.load64_splat(cf);
          const k1 = v128.load64_splat(cf, 8);
          let c = v128.load(cq);
          a0 = f64x2.sub(a0, f64x2.mul(k0, c));
          b0 = f64x2.sub(b0, f64x2.mul(k1, c));
          c = v128.load(cq, 16);
          a1 = f64x2.sub(a1, f64x2.mul(k0, c));
          b1 = f64x2.sub(b1, f64x2.mul(k1, c));
          c = v128.load(cq, 32);
          a2 = f64x2.sub(a2, f64x2.mul(k0, c));
          b2 = f64x2.sub(b2, f64x2.mul(k1, c));
          c = v128.load(cq, 48);
          a3 = f64x2.sub(a3, f64x2.mul(k0, c));
          b3 = f64x2.sub(b3, f64x2.mul(k1, c));
          cq += rowStride;
        }
        v128.store(r0, a0);
        v128.store(r0, a1, 16);
        v128.store(r0, a2, 32);
        v128.store(r0, a3, 48);
        v128.store(r1, b0);
        v128.store(r1, b1, 16);
        v128.store(r1, b2, 32);
        v128.store(r1, b3, 48);
      } else {
        let a0 = v128.load(r0), a1 = v128.load(r0, 16), a2 = v128.load(r0, 32), a3 = v128.load(r0, 48);
        let cq = C + o;
        for (let cf = pCoef + (<usize>b << 3); cf < cend; cf += cstep) {
          const k0 = v128.load64_splat(cf);
          a0 = f64x2.sub(a0, f64x2.mul(k0, v128.load(cq)));
          a1 = f64x2.sub(a1, f64x2.mul(k0, v128.load(cq, 16)));
          a2 = f64x2.sub(a2, f64x2.mul(k0, v128.load(cq, 32)));
          a3 = f64x2.sub(a3, f64x2.mul(k0, v128.load(cq, 48)));
          cq += rowStride;
        }
        v128.store(r0, a0);
        v128.store(r0, a1, 16);
        v128.store(r0, a2, 32);
        v128.store(r0, a3, 48);
      }
    }
  }
  // tokens left over (fewer than eight), one at a time, same order
  for (; i < hi; i++) {
    const o = <usize>i << 3;
    for (let b = 0; b < cnt; b++) {
      const r = <usize>load<u32>(pOutPtr + (<usize>b << 2)) + o;
      let x = load<f64>(r);
      let cq = C + o;
      for (let cf = pCoef + (<usize>b << 3); cf < cend; cf += cstep) {
        x -= load<f64>(cf) * load<f64>(cq);
        cq += rowStride;
      }
      store<f64>(r, x);
    }
  }
}

let passNo: i32 = 0;

/**
 * One pass of the greedy over X: the `cnt` Gram rows planned by planPass, for every token, with
 * the picks so far subtracted (reduceRows). The tokens are handed out in chunks of CHUNK from a
 * shared counter, so a thread that runs slower (another process took its core) gets fewer chunks
 * instead of holding everyone up at the next barrier. Every Gram entry is computed by the same
 * kernels in the same order whichever thread takes its chunk, so results do not depend on the
 * split. Ends with a barrier (the rows are complete for every token). Returns false on abort.
 */
function gramPass(cnt: i32, t: i32): bool {
  const ownLo = lo;
  const ownHi = hi;
  const nch = (N + CHUNK - 1) / CHUNK;
  buildCoef(cnt, t);
  if (ASC_FEATURE_THREADS && nthreads > 1) {
    const counter = ctl + B_CHUNK + (<usize>(passNo & 1) << 6);
    // the other counter was last used by the pass before this one, which every thread has left
    if (tid == 0) atomic.store<i32>(ctl + B_CHUNK + (<usize>((passNo + 1) & 1) << 6), 0);
    while (true) {
      const c = atomic.add<i32>(counter, 1);
      if (c >= nch) break;
      lo = c * CHUNK;
      hi = min(lo + CHUNK, N);
      dotRows(cnt);
      reduceRows(cnt, t);
    }
  } else {
    for (let c = 0; c < nch; c++) {
      lo = c * CHUNK;
      hi = min(lo + CHUNK, N);
      dotRows(cnt);
      reduceRows(cnt, t);
    }
  }
  lo = ownLo;
  hi = ownHi;
  passNo++;
  for (let c = 0; c < cnt; c++) {
    const tok = load<i32>(pCandTok + (<usize>c << 2));
    store<i32>(pSlotRed + (<usize>load<i32>(pSlotOf + (<usize>tok << 2)) << 2), t);
  }
  return barrier();
}

/** One pick: C[t, i] for own rows from the Gram row (already in Ct), energies downdated into En. */
function applyPick(t: i32, j: i32, sqrtEj: f64, Ecur: usize, En: usize, fromGram: bool, from: i32): void {
  const nn = <usize>N;
  const Ct = C + <usize>t * CS;
  if (fromGram) {
    // Ct[i] -= C[s, j] C[s, i] for the picks s in [from, t) not yet subtracted, two tokens per f64x2
    for (let s = from; s < t; s++) {
      const cs = load<f64>(C + <usize>s * CS + (<usize>j << 3));
      if (cs == 0) continue;
      const Cs = C + <usize>s * CS;
      const v = f64x2.splat(cs);
      let i = lo;
      for (; i + 2 <= hi; i += 2) {
        const b = <usize>i << 3;
        v128.store(Ct + b, f64x2.sub(v128.load(Ct + b), f64x2.mul(v, v128.load(Cs + b))));
      }
      for (; i < hi; i++) {
        const b = <usize>i << 3;
        store<f64>(Ct + b, load<f64>(Ct + b) - cs * load<f64>(Cs + b));
      }
    }
  }
  const inv = 1.0 / sqrtEj;
  for (let i = lo; i < hi; i++) {
    const b = <usize>i << 3;
    const c = load<f64>(Ct + b) * inv;
    store<f64>(Ct + b, c);
    const e = load<f64>(Ecur + b) - c * c;
    store<f64>(En + b, e > 0 ? e : 0.0);
  }
  if (j >= lo && j < hi) {
    store<f64>(Ct + (<usize>j << 3), sqrtEj);
    store<f64>(En + (<usize>j << 3), 0.0);
  }
}

/**
 * Fills slots t..K-1 by w_i ‖x_i‖² descending (ties to the lowest index). Thread 0 only. A filled
 * pick's residual is numerically zero: its score is 0 and the captured fraction is 1 from there on.
 */
function fill(t: i32, k: i32): void {
  const order = gp(S_ORDER);
  const scores = gp(S_SCORES);
  const capt = gp(S_CAPTURED);
  for (let s = t; s < k; s++) {
    let best: f64 = -1;
    let bi = -1;
    for (let i = 0; i < N; i++) {
      if (load<u8>(pPicked + <usize>i) != 0) continue;
      const v = load<f64>(W + (<usize>i << 3)) * load<f64>(E0 + (<usize>i << 3));
      if (v > best) {
        best = v;
        bi = i;
      }
    }
    store<u8>(pPicked + <usize>bi, 1);
    store<i32>(order + (<usize>s << 2), bi);
    store<f64>(scores + (<usize>s << 3), 0.0);
    store<f64>(capt + (<usize>s << 3), 1.0);
  }
}

/**
 * Runs the whole selection on thread `t` of `S_THREADS`. Thread 0 writes the outputs.
 * Returns 0 on success, 1 when the run was aborted (a thread never reached a barrier).
 */
export function run(c: usize, t: i32): i32 {
  ctl = c;
  tid = t;
  passed = 0;
  passNo = 0;
  nthreads = gi(S_THREADS);
  canWait = tid != 0 || gi(S_MAIN_CAN_WAIT) != 0;
  N = gi(S_N);
  D = gi(S_D);
  rowBytes = <usize>gi(S_STRIDE) << 2;
  X = gp(S_X);
  W = gp(S_W);
  E0 = gp(S_E0);
  C = gp(S_C);
  CS = cRowBytes(<usize>N);
  CACHE = gp(S_CACHE_PTR);
  RED = gp(S_RED);
  const K = gi(S_K);
  const batch = min(max(gi(S_BATCH), 1), MAX_BATCH);
  const cap = max(gi(S_CACHE), batch);
  const n = <usize>N;
  const stride = <usize>gi(S_STRIDE);
  const m = <usize>gi(S_M);
  const k = <usize>K;
  // own rows: an even split, boundaries on multiples of 4
  const per = ((N + nthreads - 1) / nthreads + 3) & ~3;
  lo = min(tid * per, N);
  hi = min(lo + per, N);
  // private area
  let p = gp(S_PRIV) + <usize>tid * gp(S_PRIV_STRIDE);
  pPicked = p;
  p += align64(n);
  pSlotOf = p;
  p += align64(n * 4);
  pSlotTok = p;
  p += align64(<usize>cap * 4);
  pSlotRed = p;
  p += align64(<usize>cap * 4);
  pPicks = p;
  p += align64(k * 4);
  pBeta = p;
  p += align64(k * 8);
  pTmp = p;
  p += align64(k * 8);
  pCoef = p;
  p += align64(k * MAX_BATCH * 8);
  pR64 = p;
  p += align64(stride * 8);
  pR32 = p;
  p += align64(stride * 4);
  pMu = p;
  p += align64(stride * 4);
  pTNorm = p;
  p += align64(m * 8);
  pRowPtr = p;
  p += align64(MAX_BATCH * 8);
  pOutPtr = p;
  p += align64(MAX_BATCH * 8);
  pCandTok = p;
  p += align64(MAX_BATCH * 8);
  pCandScore = p;
  memory.fill(pPicked, 0, n);
  for (let i = 0; i < N; i++) store<i32>(pSlotOf + (<usize>i << 2), -1);
  for (let q = 0; q < cap; q++) store<i32>(pSlotTok + (<usize>q << 2), -1);

  if (ASC_FEATURE_THREADS && tid == 0 && nthreads > 1) {
    // work counters of the greedy passes; nobody reaches a pass before the barrier below
    atomic.store<i32>(ctl + B_CHUNK, 0);
    atomic.store<i32>(ctl + B_CHUNK + 64, 0);
  }
  phaseNorms();
  if (!barrier()) return 1;
  // non-finite input: refuse; entries so large (or small) that float32 squares overflow (or
  // underflow): scale X by a power of two (exact) and report energies in the original units
  const maxAbs = globalMaxAbs();
  if (!isFinite(maxAbs)) {
    if (tid == 0) sf(S_ERROR, 2);
    return 2;
  }
  let scale: f64 = 1;
  if (maxAbs > 4294967296.0 || (maxAbs > 0 && maxAbs < 2.3283064365386963e-10)) {
    scale = Math.pow(2, -Math.floor(Math.log2(maxAbs)));
  }
  phaseStats(<f32>scale);
  if (!barrier()) return 1;
  phaseTransform();
  let Ecur = gp(S_EA);
  let En = gp(S_EB);
  memory.copy(Ecur + (<usize>lo << 3), E0 + (<usize>lo << 3), <usize>(hi - lo) << 3);
  reduceLocal(Ecur);
  let mx: f64 = 0;
  for (let i = lo; i < hi; i++) {
    const v = load<f64>(W + (<usize>i << 3)) * load<f64>(E0 + (<usize>i << 3));
    if (v > mx) mx = v;
  }
  store<f64>(redW() + 24, mx);
  if (!barrier()) return 1;
  reduceGlobal();
  const total = gSum;
  const maxInit = gMax;
  const tolAbs = gf(S_TOL) * maxInit;
  const useEnergy = gi(S_USE_ENERGY) != 0;
  const target = gf(S_ENERGY);
  const minKeep = gi(S_MIN_KEEP);
  const guard = gf(S_GUARD);
  const order = gp(S_ORDER);
  const scores = gp(S_SCORES);
  const capt = gp(S_CAPTURED);
  let passes = 0, rows = 0, recomputes = 0;
  // rows per pass adapt to how many picks the previous pass served (the same on every thread)
  let curBatch = min(batch, START_BATCH);
  let lastPass = -1;
  let count = 0;
  let exhaustedAt = -1;
  let captured: f64 = 0;
  for (let s = 0; s < K; s++) {
    let j = gIdx;
    let score = gBest;
    if (j < 0 || score <= tolAbs) {
      exhaustedAt = s;
      break;
    }
    let Ej = load<f64>(Ecur + (<usize>j << 3));
    const slot = load<i32>(pSlotOf + (<usize>j << 2));
    const nn = <usize>N;
    const Ct = C + <usize>s * CS;
    let fromGram = true;
    let from = 0;
    if (s > 0 && Ej < guard * load<f64>(E0 + (<usize>j << 3))) {
      // guarded pick: exact residual, then C[s, :] = (X r) / ‖r‖ directly
      recomputes++;
      const e = recomputeResidual(j, s);
      if (slot >= 0) {
        store<i32>(pSlotTok + (<usize>slot << 2), -1);
        store<i32>(pSlotOf + (<usize>j << 2), -1);
      }
      const w = load<f64>(W + (<usize>j << 3));
      if (!(w * e > tolAbs)) {
        exhaustedAt = s;
        break;
      }
      Ej = e;
      score = w * e;
      store<u32>(pRowPtr, <u32>pR32);
      store<u32>(pOutPtr, <u32>Ct);
      dotRows(1);
      passes++;
      rows++;
      fromGram = false;
    } else {
      let sl = slot;
      if (sl < 0) {
        if (lastPass >= 0) {
          const served = s - lastPass;
          if (served * 4 >= curBatch * 3) curBatch = min(curBatch * 2, batch);
          else if (served * 2 < curBatch) curBatch = max(curBatch >> 1, min(batch, 2));
        }
        lastPass = s;
        const cnt = planPass(j, Ecur, min(curBatch, K - s), cap); // never more rows than picks left
        if (!gramPass(cnt, s)) return 1;
        passes++;
        rows += cnt;
        sl = load<i32>(pSlotOf + (<usize>j << 2));
      }
      memory.copy(Ct + (<usize>lo << 3), CACHE + (<usize>sl * nn + <usize>lo) * 8, <usize>(hi - lo) << 3);
      from = load<i32>(pSlotRed + (<usize>sl << 2));
      store<i32>(pSlotTok + (<usize>sl << 2), -1);
      store<i32>(pSlotOf + (<usize>j << 2), -1);
    }
    store<u8>(pPicked + <usize>j, 1);
    store<i32>(pPicks + (<usize>s << 2), j);
    applyPick(s, j, Math.sqrt(Ej), Ecur, En, fromGram, from);
    reduceLocal(En);
    if (!barrier()) return 1;
    reduceGlobal();
    captured = total > 0 ? 1.0 - gSum / total : 1.0;
    if (tid == 0) {
      store<i32>(order + (<usize>s << 2), j);
      store<f64>(scores + (<usize>s << 3), score);
      store<f64>(capt + (<usize>s << 3), captured);
    }
    const tmp = Ecur;
    Ecur = En;
    En = tmp;
    count = s + 1;
    if (useEnergy && count >= minKeep && captured >= target) break;
  }
  if (exhaustedAt >= 0) {
    if (tid == 0) fill(exhaustedAt, K);
    count = K;
  } else if (count == N && tid == 0) {
    store<f64>(capt + (<usize>(count - 1) << 3), 1.0); // every token picked: all energy is captured
  }
  if (!barrier()) return 1; // nobody reads shared state after this point
  if (tid == 0) {
    sf(S_SCALE, scale);
    sf(S_COUNT, <f64>count);
    sf(S_EXHAUSTED_AT, <f64>exhaustedAt);
    sf(S_TOTAL, total);
    sf(S_MAX_INIT, maxInit);
    sf(S_PASSES, <f64>passes);
    sf(S_ROWS, <f64>rows);
    sf(S_RECOMPUTES, <f64>recomputes);
  }
  return 0;
}
