import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { checkPairwise, readNumber, UnitRows } from './common.js';

/** Options of the `'mmtok'` method (besides the common ones). */
export interface MmtokOptions {
  /** Softmax temperature τ > 0 of the similarities. Default 0.1 (ours, see {@link mmtokMethod}). */
  readonly temperature?: number;
  /** Mixing weight λ ∈ [0, 1] of the text coverage against the vision coverage. Default 0.5. */
  readonly textWeight?: number;
}

/**
 * Coverage matrix, candidate-major: `out[i * targets + j] = softmax_i'(cos(target_j, v_i') / τ)[i]`,
 * i.e. how much of target j's similarity mass candidate i holds (each target's column sums to 1).
 */
function coverageMatrix(targets: UnitRows, phi: UnitRows, tau: number): Float32Array {
  const t = targets.rows;
  const n = phi.rows;
  const cos = targets.cosineMatrix(phi); // [t, n], row j = target j
  const out = new Float32Array(n * t);
  const e = new Float64Array(n);
  for (let j = 0; j < t; j++) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, cos[j * n + i]!);
    let z = 0;
    for (let i = 0; i < n; i++) {
      e[i] = Math.exp((cos[j * n + i]! - max) / tau);
      z += e[i]!;
    }
    for (let i = 0; i < n; i++) out[i * t + j] = e[i]! / z;
  }
  return out;
}

/** A max-heap of (bound, index), ties to the lower index, for the lazy greedy. */
class BoundHeap {
  readonly #bound: Float64Array;
  readonly #heap: number[] = [];
  constructor(bound: Float64Array) {
    this.#bound = bound;
  }
  #above(a: number, b: number): boolean {
    const x = this.#bound[a]!;
    const y = this.#bound[b]!;
    return x > y || (x === y && a < b);
  }
  push(i: number): void {
    const h = this.#heap;
    h.push(i);
    let k = h.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.#above(h[k]!, h[p]!)) break;
      [h[k], h[p]] = [h[p]!, h[k]!];
      k = p;
    }
  }
  pop(): number | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let best = k;
        if (l < h.length && this.#above(h[l]!, h[best]!)) best = l;
        if (r < h.length && this.#above(h[r]!, h[best]!)) best = r;
        if (best === k) break;
        [h[k], h[best]] = [h[best]!, h[k]!];
        k = best;
      }
    }
    return top;
  }
}

/**
 * MMTok (Dong et al., "MMTok: Multimodal Coverage Maximization for Efficient Inference of VLMs",
 * ICLR 2026): choose the vision tokens that best *cover* both the text tokens and the whole set of
 * vision tokens, a maximum-coverage (submodular) objective maximised greedily.
 *
 * Our objective, with cosine similarities turned into per-target softmax weights
 * `P(j, i) = softmax_i(cos(target_j, v_i) / τ)` (each target spreads a unit of mass over the
 * candidate vision tokens):
 *
 * `F(S) = (1 − λ)/N · Σ_{j ∈ vision} max_{i∈S} P_vv(j, i) + λ/M · Σ_{m ∈ text} max_{i∈S} P_tv(m, i)`
 *
 * Without text, `F` is the vision coverage alone. The greedy adds `argmax_i F(S ∪ {i}) − F(S)`,
 * ties to the lowest index; a lazy (priority-queue) evaluation returns exactly the plain greedy's
 * picks, because the computed gains never increase as S grows.
 *
 * Published defaults: text tokens from the LLM's `embed_tokens` of the prompt, vision tokens after
 * the projector, mixing weight 0.5 between the text and the vision coverage; the paper's optional
 * VLM agent that rewrites the prompt is not part of this selector.
 *
 * Where ours differs (the paper's exact normalisation and temperature were not available to us;
 * these are our pinned choices, all options):
 * - `temperature` τ = 0.1 by default; `textWeight` λ = 0.5 by default.
 * - Each coverage term is averaged over its targets (1/N, 1/M) so the two modalities weigh the same
 *   whatever their token counts; λ then mixes them.
 * - Text vectors are whatever rows you pass (e.g. the prompt's noun embeddings from
 *   `@resprune/text`, not every prompt token).
 * - `alpha` and `normalize` do not change the picks (`normalize` only changes the reported energy
 *   curve). Budgets: `keep`, `ratio`, `energy` (the greedy order is nested).
 * - Scores: each pick's marginal coverage gain.
 * - Cost: O(N²·d) for the similarities and O(N·(N + M)) memory (the `[N, N]` coverage matrix).
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const visual = [[1, 0], [0.95, 0.3], [0, 1], [0.3, 0.95]];
 * const r = selectWith('mmtok', visual, { keep: 2, text: [[0, 1]], temperature: 0.1 });
 * console.log(r.kept);
 * ```
 */
export const mmtokMethod: SelectionMethod = {
  name: 'mmtok',
  description: 'MMTok (ICLR 2026): greedy maximum coverage of the text and of all vision tokens',
  optionNames: ['temperature', 'textWeight'],
  select(input: MethodInput): MethodOutput {
    const tau = readNumber('mmtok', input.options, 'temperature', 0.1, '(0, ∞)', (v) => v > 0);
    const lambda = readNumber('mmtok', input.options, 'textWeight', 0.5, '[0, 1]', (v) => v >= 0 && v <= 1);
    const { n, count, text } = input;
    checkPairwise('mmtok', n);
    const m = text === undefined ? 0 : text.shape[0];
    const phi = new UnitRows(input.visual);
    let qv: Float32Array;
    let qt: Float32Array;
    try {
      qv = coverageMatrix(phi, phi, tau);
      if (text === undefined) qt = new Float32Array(0);
      else {
        const psi = new UnitRows(text);
        try {
          qt = coverageMatrix(psi, phi, tau);
        } finally {
          psi.dispose();
        }
      }
    } finally {
      phi.dispose();
    }
    const wv = (m > 0 ? 1 - lambda : 1) / n;
    const wt = m > 0 ? lambda / m : 0;
    const covV = new Float64Array(n);
    const covT = new Float64Array(m);
    const gain = (i: number): number => {
      let sv = 0;
      const bv = i * n;
      for (let j = 0; j < n; j++) {
        const d = qv[bv + j]! - covV[j]!;
        if (d > 0) sv += d;
      }
      let st = 0;
      const bt = i * m;
      for (let k = 0; k < m; k++) {
        const d = qt[bt + k]! - covT[k]!;
        if (d > 0) st += d;
      }
      return wv * sv + wt * st;
    };
    const bound = Float64Array.from({ length: n }, (_, i) => gain(i));
    const fresh = new Int32Array(n); // round in which bound[i] was computed
    const heap = new BoundHeap(bound);
    for (let i = 0; i < n; i++) heap.push(i);
    const order = new Int32Array(count);
    const scores = new Float64Array(count);
    for (let t = 0; t < count; t++) {
      for (;;) {
        const i = heap.pop()!;
        if (fresh[i] === t) {
          order[t] = i;
          scores[t] = bound[i]!;
          const bv = i * n;
          for (let j = 0; j < n; j++) if (qv[bv + j]! > covV[j]!) covV[j] = qv[bv + j]!;
          const bt = i * m;
          for (let k = 0; k < m; k++) if (qt[bt + k]! > covT[k]!) covT[k] = qt[bt + k]!;
          break;
        }
        bound[i] = gain(i);
        fresh[i] = t;
        heap.push(i);
      }
    }
    return { order, scores };
  },
};
