/** Typed-error assertions shared by every package's tests. */
export { expectError, expectRejection } from '@resprune/test-backends';

/** Cosine similarity of rows `i` of `a` and `j` of `b`, both `[n, d]`. */
export function rowCosine(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < d; k++) {
    const x = a[i * d + k]!;
    const y = b[j * d + k]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb + 1e-30);
}
