import * as tf from '@tensorflow/tfjs-core';
import type { ClassifierHead } from '@resprune/mobilenet-features';

/**
 * A token matrix prepared for repeated subspace measurements: the tokens as a tensor and its
 * transpose (plain `A · B` products are the fast path on the wasm backend), and each token's
 * squared norm in float64.
 */
export class TokenSpace {
  readonly n: number;
  readonly d: number;
  readonly #x: tf.Tensor2D;
  readonly #xT: tf.Tensor2D;
  readonly #norm2: Float64Array;

  /**
   * @param tokens - `[n, d]` row-major
   * @param centre - subtract the mean token first (the mean-centred variant)
   */
  constructor(tokens: Float32Array, n: number, d: number, centre: boolean) {
    this.n = n;
    this.d = d;
    const x = Float64Array.from(tokens);
    if (centre) {
      const mean = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]!;
      for (let k = 0; k < d; k++) mean[k]! /= n;
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k]! -= mean[k]!;
    }
    this.#norm2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k]! ** 2;
      this.#norm2[i] = s;
    }
    this.#x = tf.tensor2d(Float32Array.from(x), [n, d]);
    this.#xT = tf.transpose(this.#x);
  }

  /**
   * Projects every token onto the span of the tokens `kept`: returns each token's squared
   * residual `‖x_i − P_S x_i‖²` (0 for kept tokens, by definition). Products `X_S Xᵀ` come from
   * one float32 matMul; the `[K, K]` Gram block is factored in float64 by pivoted Cholesky, and
   * a kept token whose remaining squared norm is below 1e-6 of its own is treated as dependent.
   */
  residuals(kept: ArrayLike<number>): Float64Array {
    const n = this.n;
    const k = kept.length;
    const b = tf.tidy(() => tf.matMul(tf.gather(this.#x, tf.tensor1d(Int32Array.from(kept), 'int32')), this.#xT));
    const B = Float64Array.from(b.dataSync()); // [k, n]
    b.dispose();
    // pivoted Cholesky of G = B[:, kept], right-looking on a working copy
    const G = new Float64Array(k * k);
    for (let a = 0; a < k; a++) for (let c = 0; c < k; c++) G[a * k + c] = B[a * n + kept[c]!]!;
    const piv: number[] = [];
    const Lcols: Float64Array[] = []; // column s of L over the k kept rows
    const diag = Float64Array.from({ length: k }, (_, a) => G[a * k + a]!);
    const orig = Float64Array.from(diag);
    const used = new Uint8Array(k);
    for (;;) {
      let j = -1;
      let best = 0;
      for (let a = 0; a < k; a++) {
        if (used[a] === 1) continue;
        const rel = orig[a]! > 0 ? diag[a]! / orig[a]! : 0;
        if (rel > 1e-6 && diag[a]! > best) {
          best = diag[a]!;
          j = a;
        }
      }
      if (j < 0) break;
      used[j] = 1;
      const s = Math.sqrt(diag[j]!);
      const col = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        if (used[a] === 1 && a !== j) continue;
        let v = G[a * k + j]!;
        for (let q = 0; q < Lcols.length; q++) v -= Lcols[q]![a]! * Lcols[q]![j]!;
        col[a] = a === j ? s : v / s;
        if (a !== j) diag[a] = diag[a]! - col[a]! ** 2;
      }
      piv.push(j);
      Lcols.push(col);
    }
    // coefficients of every token on the orthonormal basis: y_s(i) = (B[piv_s, i] − Σ_{q<s} L[piv_s, q] y_q(i)) / L[piv_s, s]
    const captured = new Float64Array(n);
    const y = new Float64Array(piv.length);
    for (let i = 0; i < n; i++) {
      let c = 0;
      for (let s = 0; s < piv.length; s++) {
        const p = piv[s]!;
        let v = B[p * n + i]!;
        for (let q = 0; q < s; q++) v -= Lcols[q]![p]! * y[q]!;
        y[s] = v / Lcols[s]![p]!;
        c += y[s]! ** 2;
      }
      captured[i] = c;
    }
    const res = Float64Array.from({ length: n }, (_, i) => Math.max(0, this.#norm2[i]! - captured[i]!));
    for (let a = 0; a < k; a++) res[kept[a]!] = 0;
    return res;
  }

  /** Fraction of `Σ‖x_i‖²` in the span of the kept tokens, and the mean relative residual `‖x_i − P x_i‖ / ‖x_i‖`. */
  measure(kept: ArrayLike<number>): { energy: number; meanRelativeError: number } {
    const res = this.residuals(kept);
    let total = 0;
    let left = 0;
    let rel = 0;
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      total += this.#norm2[i]!;
      left += Math.min(res[i]!, this.#norm2[i]!);
      if (this.#norm2[i]! > 0) {
        rel += Math.sqrt(Math.min(1, res[i]! / this.#norm2[i]!));
        count++;
      }
    }
    return { energy: total > 0 ? 1 - left / total : 1, meanRelativeError: count > 0 ? rel / count : 0 };
  }

  /** The tokens as a tensor the caller must not dispose (for selection). */
  get tensor(): tf.Tensor2D {
    return this.#x;
  }

  /** Frees the tensors. */
  dispose(): void {
    this.#x.dispose();
    this.#xT.dispose();
  }
}

/** Index of the largest value (first on ties). */
export function argmaxOf(p: ArrayLike<number>): number {
  let j = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[j]!) j = i;
  return j;
}

/** KL(p ‖ q) in nats, with q floored at 1e-12. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) s += p[i]! * Math.log(p[i]! / Math.max(q[i]!, 1e-12));
  return Math.max(0, s);
}

/** Mean of the chosen rows of `[n, d]` tokens, in float64. */
export function meanRows(tokens: Float32Array, d: number, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(d);
  for (let a = 0; a < rows.length; a++) {
    const base = rows[a]! * d;
    for (let k = 0; k < d; k++) out[k]! += tokens[base + k]!;
  }
  for (let k = 0; k < d; k++) out[k]! /= rows.length;
  return out;
}

/**
 * Forward pass of the classifier head in float64 with the activations kept, and the gradient of
 * `log p_c` with respect to the pooled input: the direction in token space that most increases
 * the head's confidence in class c, there.
 *
 * @returns `probs` (softmax outputs) and `grad` (`[d]`)
 */
export function headClassDirection(head: ClassifierHead, pooled: ArrayLike<number>, c: number): { probs: Float64Array; grad: Float64Array } {
  const acts: Float64Array[] = [Float64Array.from(pooled)];
  for (const layer of head.layers) {
    const x = acts[acts.length - 1]!;
    const y = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.inputs; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const row = i * layer.outputs;
      for (let o = 0; o < layer.outputs; o++) y[o]! += xi * layer.kernel[row + o]!;
    }
    if (layer.activation === 'relu') for (let o = 0; o < y.length; o++) y[o] = Math.max(0, y[o]!);
    else {
      const m = Math.max(...y);
      let z = 0;
      for (let o = 0; o < y.length; o++) {
        y[o] = Math.exp(y[o]! - m);
        z += y[o]!;
      }
      for (let o = 0; o < y.length; o++) y[o]! /= z;
    }
    acts.push(y);
  }
  const probs = acts[acts.length - 1]!;
  // d log p_c / d logits = e_c − p
  let g = Float64Array.from(probs, (p, o) => (o === c ? 1 : 0) - p);
  for (let l = head.layers.length - 1; l >= 0; l--) {
    const layer = head.layers[l]!;
    const input = acts[l]!;
    const gin = new Float64Array(layer.inputs);
    for (let i = 0; i < layer.inputs; i++) {
      let s = 0;
      const row = i * layer.outputs;
      for (let o = 0; o < layer.outputs; o++) s += layer.kernel[row + o]! * g[o]!;
      // the layer below's ReLU passes gradient only where its output was positive
      gin[i] = l > 0 && head.layers[l - 1]!.activation === 'relu' && !(input[i]! > 0) ? 0 : s;
    }
    g = gin;
  }
  return { probs, grad: g };
}
