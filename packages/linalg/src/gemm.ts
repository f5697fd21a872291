/**
 * Plain-JavaScript dot-product blocks used by the cpu kernels.
 *
 * `out[b * n + i] = a[aRows[b]] · x[i]` for rows of length `d`. Every entry is one float64
 * accumulator summed in order k = 0 … d-1 (float32 × float32 products are exact in float64), so an
 * entry has the same bits whatever block it is computed in: a block of speculative rows gives
 * exactly the values that one-row-at-a-time evaluation gives. A 3 × 3 register block (three `a`
 * rows against three `x` rows) roughly doubles throughput over one dot at a time in V8.
 */
export function dotRowsInto(
  a: Float32Array,
  aRows: Int32Array,
  x: Float32Array,
  n: number,
  d: number,
  out: Float64Array,
): void {
  const count = aRows.length;
  let b = 0;
  for (; b + 3 <= count; b += 3) {
    const o0 = aRows[b]! * d;
    const o1 = aRows[b + 1]! * d;
    const o2 = aRows[b + 2]! * d;
    const r0 = b * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    let i = 0;
    for (; i + 3 <= n; i += 3) {
      const p0 = i * d;
      const p1 = p0 + d;
      const p2 = p1 + d;
      let s00 = 0, s01 = 0, s02 = 0, s10 = 0, s11 = 0, s12 = 0, s20 = 0, s21 = 0, s22 = 0;
      for (let k = 0; k < d; k++) {
        const a0 = a[o0 + k]!;
        const a1 = a[o1 + k]!;
        const a2 = a[o2 + k]!;
        const u = x[p0 + k]!;
        const v = x[p1 + k]!;
        const w = x[p2 + k]!;
        s00 += a0 * u; s01 += a0 * v; s02 += a0 * w;
        s10 += a1 * u; s11 += a1 * v; s12 += a1 * w;
        s20 += a2 * u; s21 += a2 * v; s22 += a2 * w;
      }
      out[r0 + i] = s00; out[r0 + i + 1] = s01; out[r0 + i + 2] = s02;
      out[r1 + i] = s10; out[r1 + i + 1] = s11; out[r1 + i + 2] = s12;
      out[r2 + i] = s20; out[r2 + i + 1] = s21; out[r2 + i + 2] = s22;
    }
    for (; i < n; i++) {
      const p = i * d;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let k = 0; k < d; k++) {
        const u = x[p + k]!;
        s0 += a[o0 + k]! * u; s1 += a[o1 + k]! * u; s2 += a[o2 + k]! * u;
      }
      out[r0 + i] = s0; out[r1 + i] = s1; out[r2 + i] = s2;
    }
  }
  for (; b < count; b++) {
    const o = aRows[b]! * d;
    const r = b * n;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const p0 = i * d;
      const p1 = p0 + d;
      const p2 = p1 + d;
      const p3 = p2 + d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < d; k++) {
        const v = a[o + k]!;
        s0 += v * x[p0 + k]!; s1 += v * x[p1 + k]!; s2 += v * x[p2 + k]!; s3 += v * x[p3 + k]!;
      }
      out[r + i] = s0; out[r + i + 1] = s1; out[r + i + 2] = s2; out[r + i + 3] = s3;
    }
    for (; i < n; i++) {
      const p = i * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += a[o + k]! * x[p + k]!;
      out[r + i] = s;
    }
  }
}

/**
 * Squared row norms in float64 and the largest absolute entry. A non-finite input shows up as a
 * non-finite norm (float32 values cannot overflow a float64 square sum), so callers check `finite`.
 * Four interleaved accumulators and branch-free `Math.max` keep this one pass cheap.
 */
export function rowNormsSquared(x: Float32Array, n: number, d: number): { norms: Float64Array; maxAbs: number; finite: boolean } {
  const norms = new Float64Array(n);
  let maxAbs = 0;
  let finite = true;
  const d4 = d - (d % 4);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let m = 0;
    let k = 0;
    for (; k < d4; k += 4) {
      const v0 = x[o + k]!, v1 = x[o + k + 1]!, v2 = x[o + k + 2]!, v3 = x[o + k + 3]!;
      s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
      m = Math.max(m, Math.abs(v0), Math.abs(v1), Math.abs(v2), Math.abs(v3));
    }
    for (; k < d; k++) {
      const v = x[o + k]!;
      s0 += v * v;
      m = Math.max(m, Math.abs(v));
    }
    const s = s0 + s1 + (s2 + s3);
    if (!Number.isFinite(s)) finite = false;
    norms[i] = s;
    if (m > maxAbs) maxAbs = m;
  }
  return { norms, maxAbs, finite };
}
