import { expect } from 'vitest';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `[n][d]` rows of N(0, 1) values rounded to float32. */
export function randomRows(n: number, d: number, seed: number): number[][] {
  const u = rng(seed);
  const g = (): number => Math.fround(Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
  return Array.from({ length: n }, () => Array.from({ length: d }, g));
}

/** Matcher for a ResPruneError code. */
export const code = (c: string): unknown => expect.objectContaining({ code: c });
