import { ResPruneError } from '@resprune/errors';
import { rowNormsSquared } from '../gemm.js';
import type { GramRowSource } from './row-source.js';

/**
 * A pick's downdated residual is recomputed from scratch when it has shrunk below this fraction of
 * its value at the last exact evaluation (initially ‖x‖²): below it, the subtraction
 * E ← E − C² has cancelled most significant digits and float32 Gram entries dominate the error.
 * The JavaScript greedy and the WebAssembly kernel use this one value. 1e-3 was chosen by
 * test/guard-evidence.test.ts: on tokens with decaying spectra and float32 Gram rows it has the
 * smallest worst score error of 1e-1 … 1e-4 and 38 % fewer recomputes than 1e-2; 1e-4 lets the
 * error grow about fourfold.
 */
export const RECOMPUTE_RATIO = 1e-3;

/**
 * A recomputed residual below this fraction of the token's own squared norm is rounding noise of
 * the float32 inputs: the token is treated as lying in the span (residual 0), whatever
 * `rankTolerance` says.
 */
export const RESIDUAL_FLOOR = 1e-12;

/** Parameters of one run of the greedy (already validated by the op). */
export interface GreedyParams {
  /** Picks wanted, 1 … n (ignored in forced mode). */
  readonly k: number;
  /** Scores ≤ rankTolerance × the largest initial score count as zero. */
  readonly rankTolerance: number;
  /** Stop once the captured-energy curve reaches this value (after at least `minPicks` picks). */
  readonly energyTarget: number | undefined;
  /** Lower bound on picks when `energyTarget` stops early. */
  readonly minPicks: number;
  /** Gram rows computed per backend call (1 = plain one-row-at-a-time). */
  readonly rowBlock: number;
  /** Forced-order mode: evaluate the residual energy along this order instead of choosing. */
  readonly forcedOrder: Int32Array | undefined;
  /** Recompute guard (default {@link RECOMPUTE_RATIO}); only the guard-evidence test changes it. */
  readonly recomputeRatio?: number;
  /**
   * Squared norms of the tokens to start from instead of computing them, e.g. exactly 1 for rows
   * the l2 transform made unit length, so equal weights tie exactly and the lowest index wins.
   */
  readonly norms?: Float64Array;
}

/** What one run produced. */
export interface GreedyOutcome {
  readonly order: Int32Array;
  readonly scores: Float64Array;
  readonly energy: Float64Array;
  /** Picks made by the residual criterion before rank exhaustion (the rest are fills). */
  readonly residualPicks: number;
  /** Whether every remaining residual became numerically zero. */
  readonly exhausted: boolean;
  /** Gram rows computed (including speculative ones that were never used). */
  readonly gramRows: number;
  /** Backend calls that computed Gram rows. */
  readonly gramBlocks: number;
  /** Picks whose Gram row had already been computed speculatively. */
  readonly cacheHits: number;
  /** Residuals recomputed exactly because their downdated value had drifted. */
  readonly recomputes: number;
}

/**
 * The residual-energy greedy of docs/guide/method.md#the-specification, items 4–6 in its incremental (Cholesky /
 * Gram–Schmidt) form, on any {@link GramRowSource}.
 *
 * State, all float64: E_i (residual energy of token i), C[s, i] = u_s · x_i for the orthonormal
 * directions u_s of the span of the picks. A pick j costs one Gram row g_j· and
 * C[t, i] = (g_ji − Σ_s C[s, j] C[s, i]) / √E_j, E_i ← max(0, E_i − C[t, i]²): O(n·d + n·t) time,
 * O(n·K) memory overall, never the n × n Gram matrix. Gram rows never go stale, so on a cache miss
 * the source computes the row of the pick together with rows of the next likely picks (the top
 * current scores, or the next entries of a forced order) in one block; the selection is identical
 * to computing one row at a time because each Gram entry is computed the same way in any block.
 */
export function runResidualGreedy(src: GramRowSource, weights: Float64Array, params: GreedyParams): GreedyOutcome {
  const { n, d } = src;
  const w = weights;
  const computed = rowNormsSquared(src.values(), n, d);
  const { maxAbs, finite } = computed;
  const g = params.norms ?? computed.norms;
  if (!finite) {
    const op = params.forcedOrder === undefined ? 'residualGreedy' : 'energyCurve';
    throw new ResPruneError('E_NON_FINITE', `${op}: x contains NaN or Infinity; clean or mask the input first`);
  }
  src.prepare(maxAbs);

  const E = Float64Array.from(g);
  const ref = Float64Array.from(g);
  const guard = params.recomputeRatio ?? RECOMPUTE_RATIO;
  let total = 0;
  let maxInit = 0;
  for (let i = 0; i < n; i++) {
    const s = w[i]! * g[i]!;
    total += s;
    if (s > maxInit) maxInit = s;
  }
  const tol = params.rankTolerance * maxInit;
  const forced = params.forcedOrder;
  const K = forced === undefined ? Math.min(params.k, n) : forced.length;
  const fullRank = Math.min(n, d);
  const maxDirs = Math.min(K, fullRank);
  const C = new Float64Array(maxDirs * n);
  const dirToken = new Int32Array(maxDirs);
  let nDirs = 0;
  const picked = new Uint8Array(n);
  const order = new Int32Array(K);
  const scores = new Float64Array(K);
  const energy = new Float64Array(K);
  const acc = new Float64Array(n);
  const resid = new Float64Array(d);
  const beta = new Float64Array(maxDirs);
  let cum = 0;
  let recomputes = 0;

  // ---- Gram rows: a bounded cache of speculative rows (O(B·n) memory) ----------------------------
  const B = Math.max(1, Math.min(params.rowBlock, n));
  const capacity = B > 1 ? 2 * B : 0;
  const slots = new Float64Array(capacity * n);
  const slotToken = new Int32Array(capacity).fill(-1);
  /** Directions already projected out of a cached row (a multiple of 4, see projectGroups). */
  const slotProgress = new Int32Array(capacity);
  const blockTokens = new Int32Array(1);
  const tokenSlot = new Int32Array(n).fill(-1);
  const blockOut = new Float64Array(B * n);
  const candIdx = new Int32Array(B);
  const candScore = new Float64Array(B);
  let gramRows = 0;
  let gramBlocks = 0;
  let cacheHits = 0;
  let forcedPos = 0;

  const score = (i: number): number => w[i]! * E[i]!;

  /** The next B−1 likely picks besides j: top current scores, or the next forced entries. */
  const speculate = (j: number): number => {
    let m = 0;
    if (B === 1) return 0;
    if (forced !== undefined) {
      for (let p = forcedPos + 1; p < forced.length && m < B - 1; p++) {
        const i = forced[p]!;
        if (i !== j && picked[i] === 0 && tokenSlot[i]! < 0) {
          let dup = false;
          for (let q = 0; q < m; q++) if (candIdx[q] === i) dup = true;
          if (!dup) candIdx[m++] = i;
        }
      }
      return m;
    }
    for (let i = 0; i < n; i++) {
      if (i === j || picked[i] !== 0 || tokenSlot[i]! >= 0) continue;
      const s = score(i);
      if (!(s > tol)) continue;
      if (m === B - 1 && s <= candScore[m - 1]!) continue;
      let q = m < B - 1 ? m++ : m - 1;
      while (q > 0 && candScore[q - 1]! < s) {
        candScore[q] = candScore[q - 1]!;
        candIdx[q] = candIdx[q - 1]!;
        q--;
      }
      candScore[q] = s;
      candIdx[q] = i;
    }
    return m;
  };

  const store = (i: number, row: Float64Array, progress: number): void => {
    let slot = -1;
    let worst = Infinity;
    let worstSlot = -1;
    for (let s = 0; s < capacity; s++) {
      const tok = slotToken[s]!;
      if (tok < 0) {
        slot = s;
        break;
      }
      const sc = score(tok);
      if (sc < worst) {
        worst = sc;
        worstSlot = s;
      }
    }
    if (slot < 0) {
      if (worstSlot < 0 || !(worst < score(i))) return; // every cached row is at least as likely
      tokenSlot[slotToken[worstSlot]!] = -1;
      slot = worstSlot;
    }
    slots.set(row, slot * n);
    slotToken[slot] = i;
    slotProgress[slot] = progress;
    tokenSlot[i] = slot;
  };

  /**
   * Fills `acc` with g_j· − Σ_{s<nDirs} C[s, j]·C[s, ·], the numerator of the new direction's
   * coefficients. Projections are applied in aligned groups of four directions and then one by one
   * (see projectGroups); a block of speculative rows gets its groups applied together while C is
   * read once, and a cached row later only needs the directions added since. Every entry sees the
   * same operations in the same order as in one-row-at-a-time evaluation, so results are
   * bit-identical for every block size.
   */
  const projectedRow = (j: number): void => {
    const aligned = nDirs - (nDirs % 4);
    const s = tokenSlot[j]!;
    if (s >= 0) {
      cacheHits++;
      tokenSlot[j] = -1;
      slotToken[s] = -1; // the slot is free again once copied
      acc.set(slots.subarray(s * n, (s + 1) * n));
      blockTokens[0] = j;
      projectGroups(acc, 1, blockTokens, C, slotProgress[s]!, aligned, n);
    } else {
      const m = speculate(j);
      const block = new Int32Array(m + 1);
      block[0] = j;
      block.set(candIdx.subarray(0, m), 1);
      src.gramRows(block, blockOut);
      gramRows += m + 1;
      gramBlocks++;
      projectGroups(blockOut, m + 1, block, C, 0, aligned, n);
      for (let b = 1; b <= m; b++) store(block[b]!, blockOut.subarray(b * n, (b + 1) * n), aligned);
      acc.set(blockOut.subarray(0, n));
    }
    projectSingles(acc, j, C, aligned, nDirs, n);
  };

  // ---- exact residual of token j against the current span ---------------------------------------
  /** ‖x_j − Σ_b β_b x_{p_b}‖² with β = L⁻ᵀ c_j (L[a][b] = C[b, p_a]), evaluated on X directly. */
  const recompute = (j: number): number => {
    recomputes++;
    for (let b = nDirs - 1; b >= 0; b--) {
      const row = b * n;
      let s = C[row + j]!;
      for (let a = b + 1; a < nDirs; a++) s -= C[row + dirToken[a]!]! * beta[a]!;
      beta[b] = s / C[row + dirToken[b]!]!;
    }
    const X = src.values();
    const oj = j * d;
    for (let k = 0; k < d; k++) resid[k] = X[oj + k]!;
    for (let b = 0; b < nDirs; b++) {
      const bb = beta[b]!;
      if (bb === 0) continue;
      const ob = dirToken[b]! * d;
      for (let k = 0; k < d; k++) resid[k] = resid[k]! - bb * X[ob + k]!;
    }
    let e = 0;
    for (let k = 0; k < d; k++) e += resid[k]! * resid[k]!;
    return e <= RESIDUAL_FLOOR * g[j]! ? 0 : e;
  };

  /** Makes E_j trustworthy: recompute when it has shrunk a lot since its last exact value. */
  const refresh = (j: number): boolean => {
    if (E[j]! < guard * ref[j]!) {
      const e = recompute(j);
      E[j] = e;
      ref[j] = e;
      return true;
    }
    return false;
  };

  /** argmax_i∉S w_i E_i, ties to the lowest index; -1 when every remaining score is ≤ tol. */
  const chooseNext = (): number => {
    if (nDirs >= fullRank) return -1;
    for (;;) {
      const j = argmaxScore(w, E, picked, n, tol);
      if (j < 0) return -1;
      if (!refresh(j)) return j;
    }
  };

  /** Adds x_j's residual direction to the span; returns the weighted energy it captured. */
  const addDirection = (j: number): number => {
    projectedRow(j);
    const ej = E[j]!;
    const sj = Math.sqrt(ej);
    const base = nDirs * n;
    picked[j] = 1;
    E[j] = 0;
    const inc = w[j]! * ej + downdate(acc, 1 / sj, C, base, E, w, picked, n);
    C[base + j] = sj;
    dirToken[nDirs++] = j;
    return inc;
  };

  const curve = (): number => (total > 0 ? Math.min(1, cum / total) : 1);

  let t = 0;
  let exhausted = false;
  if (forced === undefined) {
    const target = params.energyTarget;
    const minPicks = Math.min(K, Math.max(1, params.minPicks));
    for (;;) {
      const j = chooseNext();
      if (j < 0) {
        exhausted = true;
        if (t > 0) energy[t - 1] = 1;
        break;
      }
      if (t >= K) break;
      if (target !== undefined && t >= minPicks && energy[t - 1]! >= target) break;
      order[t] = j;
      scores[t] = w[j]! * E[j]!;
      cum += addDirection(j);
      energy[t] = curve();
      t++;
    }
    const residualPicks = t;
    if (exhausted) {
      const need = target === undefined ? K : Math.min(K, Math.max(t, minPicks));
      if (t < need) {
        const rest: number[] = [];
        for (let i = 0; i < n; i++) if (picked[i] === 0) rest.push(i);
        rest.sort((a, b) => w[b]! * g[b]! - w[a]! * g[a]! || a - b);
        for (const i of rest) {
          if (t >= need) break;
          picked[i] = 1;
          order[t] = i;
          scores[t] = 0;
          energy[t] = 1;
          t++;
        }
      }
    }
    return {
      order: order.slice(0, t),
      scores: scores.slice(0, t),
      energy: energy.slice(0, t),
      residualPicks,
      exhausted,
      gramRows,
      gramBlocks,
      cacheHits,
      recomputes,
    };
  }

  // ---- forced order: the energy curve of a given pick order --------------------------------------
  const tolE = params.rankTolerance * g.reduce((m, v) => (v > m ? v : m), 0);
  let residualPicks = 0;
  for (; t < K; t++) {
    forcedPos = t;
    const j = forced[t]!;
    if (picked[j] !== 0) {
      throw new ResPruneError('E_INVALID_OPTION', `energyCurve: order contains token ${j} twice (at position ${t})`);
    }
    order[t] = j;
    if (exhausted) {
      picked[j] = 1;
      energy[t] = 1;
      continue;
    }
    refresh(j);
    scores[t] = w[j]! * E[j]!;
    if (nDirs < fullRank && E[j]! > tolE && E[j]! > 0) {
      cum += addDirection(j);
      residualPicks++;
    } else {
      picked[j] = 1; // numerically in the span already: it adds no direction and captures nothing
    }
    energy[t] = curve();
    if (chooseNext() < 0) {
      exhausted = true;
      energy[t] = 1;
    }
  }
  return { order, scores, energy, residualPicks, exhausted, gramRows, gramBlocks, cacheHits, recomputes };
}

/** argmax over unpicked i of w_i·E_i among scores > tol, ties to the lowest index; -1 if none. */
function argmaxScore(w: Float64Array, E: Float64Array, picked: Uint8Array, n: number, tol: number): number {
  let j = -1;
  let best = tol;
  for (let i = 0; i < n; i++) {
    if (picked[i] === 0) {
      const s = w[i]! * E[i]!;
      if (s > best) {
        best = s;
        j = i;
      }
    }
  }
  return j;
}

/**
 * rows[b] ← rows[b] − Σ_q C[q, toks[b]]·C[q, ·] over directions q in [from, to), four at a time
 * (to − from is a multiple of 4). Each entry is updated as
 * `r − (c0·x0 + c1·x1 + (c2·x2 + c3·x3))`, the same expression for one row or many; with many rows
 * each coefficient row of C is read once for all of them, which is what makes speculative blocks
 * cheap: this O(n·t) step is memory-bound and dominates for large K.
 */
function projectGroups(rows: Float64Array, m: number, toks: Int32Array, C: Float64Array, from: number, to: number, n: number): void {
  for (let q = from; q < to; q += 4) {
    const b0 = q * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let b = 0;
    // several rows per sweep: the four coefficient rows of C are loaded once for up to four rows
    for (; b + 4 <= m; b += 4) {
      const j = toks[b]!;
      const k = toks[b + 1]!;
      const l = toks[b + 2]!;
      const h = toks[b + 3]!;
      const c0 = C[b0 + j]!, c1 = C[b1 + j]!, c2 = C[b2 + j]!, c3 = C[b3 + j]!;
      const e0 = C[b0 + k]!, e1 = C[b1 + k]!, e2 = C[b2 + k]!, e3 = C[b3 + k]!;
      const f0 = C[b0 + l]!, f1 = C[b1 + l]!, f2 = C[b2 + l]!, f3 = C[b3 + l]!;
      const g0 = C[b0 + h]!, g1 = C[b1 + h]!, g2 = C[b2 + h]!, g3 = C[b3 + h]!;
      const r = b * n;
      const t = r + n;
      const u = t + n;
      const v = u + n;
      for (let i = 0; i < n; i++) {
        const x0 = C[b0 + i]!;
        const x1 = C[b1 + i]!;
        const x2 = C[b2 + i]!;
        const x3 = C[b3 + i]!;
        rows[r + i] = rows[r + i]! - (c0 * x0 + c1 * x1 + (c2 * x2 + c3 * x3));
        rows[t + i] = rows[t + i]! - (e0 * x0 + e1 * x1 + (e2 * x2 + e3 * x3));
        rows[u + i] = rows[u + i]! - (f0 * x0 + f1 * x1 + (f2 * x2 + f3 * x3));
        rows[v + i] = rows[v + i]! - (g0 * x0 + g1 * x1 + (g2 * x2 + g3 * x3));
      }
    }
    for (; b + 2 <= m; b += 2) {
      const j = toks[b]!;
      const k = toks[b + 1]!;
      const c0 = C[b0 + j]!, c1 = C[b1 + j]!, c2 = C[b2 + j]!, c3 = C[b3 + j]!;
      const e0 = C[b0 + k]!, e1 = C[b1 + k]!, e2 = C[b2 + k]!, e3 = C[b3 + k]!;
      const r = b * n;
      const t = r + n;
      for (let i = 0; i < n; i++) {
        const x0 = C[b0 + i]!;
        const x1 = C[b1 + i]!;
        const x2 = C[b2 + i]!;
        const x3 = C[b3 + i]!;
        rows[r + i] = rows[r + i]! - (c0 * x0 + c1 * x1 + (c2 * x2 + c3 * x3));
        rows[t + i] = rows[t + i]! - (e0 * x0 + e1 * x1 + (e2 * x2 + e3 * x3));
      }
    }
    if (b < m) {
      const j = toks[b]!;
      const c0 = C[b0 + j]!, c1 = C[b1 + j]!, c2 = C[b2 + j]!, c3 = C[b3 + j]!;
      const r = b * n;
      for (let i = 0; i < n; i++) rows[r + i] = rows[r + i]! - (c0 * C[b0 + i]! + c1 * C[b1 + i]! + (c2 * C[b2 + i]! + c3 * C[b3 + i]!));
    }
  }
}

/** acc ← acc − C[q, j]·C[q, ·] for each direction q in [from, to), one at a time. */
function projectSingles(acc: Float64Array, j: number, C: Float64Array, from: number, to: number, n: number): void {
  for (let q = from; q < to; q++) {
    const cq = C[q * n + j]!;
    if (cq === 0) continue;
    const base = q * n;
    for (let i = 0; i < n; i++) acc[i] = acc[i]! - cq * C[base + i]!;
  }
}

/**
 * Writes the new direction's coefficients C[t, i] = acc_i / √E_j for unpicked i (picked tokens
 * keep 0: they are already in the span) and downdates E_i ← max(0, E_i − C[t, i]²).
 * Returns the weighted energy captured, Σ_i w_i · min(C[t, i]², E_i).
 */
function downdate(acc: Float64Array, inv: number, C: Float64Array, base: number, E: Float64Array, w: Float64Array, picked: Uint8Array, n: number): number {
  let inc = 0;
  for (let i = 0; i < n; i++) {
    if (picked[i] !== 0) continue;
    const c = acc[i]! * inv;
    C[base + i] = c;
    const c2 = c * c;
    const e = E[i]!;
    if (c2 >= e) {
      inc += w[i]! * e;
      E[i] = 0;
    } else {
      inc += w[i]! * c2;
      E[i] = e - c2;
    }
  }
  return inc;
}
