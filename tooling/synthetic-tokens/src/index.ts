/**
 * @packageDocumentation
 * Seeded synthetic inputs shaped like projected visual tokens: a shared direction (raw LLaVA
 * tokens share one; mean pairwise cosine ≈ 0.4), a smooth low-rank field over the patch grid
 * (neighbouring patches look alike), per-token gain and isotropic noise. Text vectors are drawn the
 * same way from another seed. No data is downloaded; the same seed gives the same bytes.
 */

import { mulberry32 } from '@resprune/random';

/**
 * Seeded uniform numbers in [0, 1): `mulberry32` from `@resprune/random`, the same sequence for
 * the same seed on every JavaScript engine (integer arithmetic only).
 *
 * @param seed - any integer (taken modulo 2^32)
 * @returns a function giving the next number
 * @example
 * ```ts
 * import { uniform } from '@resprune/synthetic-tokens';
 * const u = uniform(7);
 * console.log(u(), u());
 * ```
 */
export function uniform(seed: number): () => number {
  return mulberry32(seed);
}

/**
 * Seeded standard normal numbers (Box–Muller on {@link uniform}, both outputs used).
 *
 * @param seed - any integer
 * @returns a function giving the next number
 * @example
 * ```ts
 * import { normal } from '@resprune/synthetic-tokens';
 * const g = normal(7);
 * console.log(g());
 * ```
 */
export function normal(seed: number): () => number {
  const u = uniform(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(u() || 1e-12));
    const a = 2 * Math.PI * u();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/**
 * `[n, d]` float32 tokens, row-major.
 *
 * @param n - tokens (laid out on a √n × √n grid for the smooth field)
 * @param d - features
 * @param seed - any integer
 * @param rank - dimension of the smooth field
 * @returns the tokens, `n * d` float32 values
 * @example
 * ```ts
 * import { syntheticTokens } from '@resprune/synthetic-tokens';
 * const visual = syntheticTokens(576, 4096, 7);       // LLaVA-1.5's shape
 * const text = syntheticTokens(8, 4096, 1007, 24);    // eight "noun" vectors
 * ```
 */
export function syntheticTokens(n: number, d: number, seed: number, rank = 24): Float32Array {
  const g = normal(seed);
  const basis = new Float32Array(rank * d);
  for (let i = 0; i < basis.length; i++) basis[i] = g() * 0.35;
  const common = new Float32Array(d);
  for (let k = 0; k < d; k++) common[k] = g() * 1.2;
  const side = Math.ceil(Math.sqrt(n));
  const freq = Array.from({ length: rank }, () => [g() * 0.5, g() * 0.5, g() * 3, g() * 0.5, g() * 0.5, g() * 3] as const);
  const x = new Float32Array(n * d);
  const c = new Float32Array(rank);
  for (let i = 0; i < n; i++) {
    const u = i % side;
    const v = Math.floor(i / side);
    for (let q = 0; q < rank; q++) {
      const f = freq[q]!;
      c[q] = Math.cos(f[0] * u + f[1] * v + f[2]) + 0.5 * Math.cos(f[3] * u - f[4] * v + f[5]) + 0.3 * g();
    }
    const amp = 0.5 + Math.abs(g()) * 0.6;
    const o = i * d;
    for (let k = 0; k < d; k++) x[o + k] = common[k]! + 0.6 * g();
    for (let q = 0; q < rank; q++) {
      const cq = c[q]!;
      const b = q * d;
      for (let k = 0; k < d; k++) x[o + k] = x[o + k]! + cq * basis[b + k]!;
    }
    for (let k = 0; k < d; k++) x[o + k] = x[o + k]! * amp;
  }
  return x;
}

/**
 * Mean pairwise cosine of the first `sample` tokens (to document the inputs).
 *
 * @param x - tokens `[n, d]`, row-major
 * @param n - tokens
 * @param d - features
 * @param sample - how many leading tokens to use
 * @returns the mean cosine over all pairs of the sample (1 when it has fewer than two tokens)
 * @example
 * ```ts
 * import { meanPairwiseCosine, syntheticTokens } from '@resprune/synthetic-tokens';
 * console.log(meanPairwiseCosine(syntheticTokens(64, 256, 1), 64, 256)); // about 0.4
 * ```
 */
export function meanPairwiseCosine(x: Float32Array, n: number, d: number, sample = 128): number {
  const m = Math.min(n, sample);
  const norms = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! ** 2;
    norms[i] = Math.sqrt(s);
  }
  let total = 0;
  let count = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k]! * x[j * d + k]!;
      total += s / (norms[i]! * norms[j]!);
      count++;
    }
  }
  return count > 0 ? total / count : 1;
}
