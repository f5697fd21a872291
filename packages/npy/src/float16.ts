let table: Float32Array | undefined;

/** All 65 536 half-precision values, built once on first use (256 KiB). */
function halfTable(): Float32Array {
  if (table !== undefined) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) t[h] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 0x1f) t[h] = mantissa === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  table = t;
  return t;
}

/**
 * Decodes IEEE 754 half-precision bit patterns (NumPy `float16`, as stored in a `'<f2'` .npy file)
 * into numbers. Every half value is exactly representable in float32, so the result is exact;
 * subnormals, ±0, ±Infinity and NaN are preserved.
 *
 * @param bits - raw half bit patterns, `[n]`
 * @returns the values, `[n]`
 * @example
 * ```ts
 * decodeFloat16(new Uint16Array([0x3c00, 0xc000, 0x7c00])); // Float32Array [1, -2, Infinity]
 * ```
 */
export function decodeFloat16(bits: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}
