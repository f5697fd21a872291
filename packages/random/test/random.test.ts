import { describe, expect, it } from 'vitest';
import { mulberry32, mulberry32Uint32 } from '../src/index.js';

/**
 * First outputs of mulberry32 from an independent implementation (Python integers masked to 32
 * bits, not JavaScript's Math.imul); rerun with:
 *
 *     python3 -c "
 *     M = 0xffffffff
 *     def m(seed, n=5):
 *         a, out = seed & M, []
 *         for _ in range(n):
 *             a = (a + 0x6d2b79f5) & M
 *             t = ((a ^ (a >> 15)) * (a | 1)) & M
 *             t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M
 *             out.append((t ^ (t >> 14)) & M)
 *         return out
 *     for s in (0, 7, 2**32 - 1): print(s, m(s))"
 */
const REFERENCE: Record<number, number[]> = {
  0: [1144304738, 1416247, 958946056, 627933444, 2007157716],
  7: [50271532, 266108690, 4195786334, 3002305430, 2239590375],
  4294967295: [3850105811, 813802916, 3073704848, 4054706436, 3630262831],
};

describe('mulberry32', () => {
  it('matches an independent implementation bit for bit', () => {
    for (const [seed, expected] of Object.entries(REFERENCE)) {
      const next = mulberry32Uint32(Number(seed));
      expect(Array.from({ length: expected.length }, next)).toEqual(expected);
    }
  });

  it('floats are the 32-bit outputs over 2^32, in [0, 1)', () => {
    const u = mulberry32(7);
    expect(Array.from({ length: 5 }, u)).toEqual(REFERENCE[7]!.map((x) => x / 2 ** 32));
    const many = Array.from({ length: 10_000 }, mulberry32(123));
    expect(Math.min(...many)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...many)).toBeLessThan(1);
    const mean = many.reduce((a, b) => a + b, 0) / many.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  it('takes the seed modulo 2^32: -1 and 2^32 − 1 are the same stream, 2^32 is seed 0', () => {
    expect(Array.from({ length: 3 }, mulberry32Uint32(-1))).toEqual(REFERENCE[4294967295]!.slice(0, 3));
    expect(Array.from({ length: 3 }, mulberry32Uint32(2 ** 32))).toEqual(REFERENCE[0]!.slice(0, 3));
  });
});
