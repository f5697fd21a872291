import { expect } from 'vitest';

/** mulberry32 floats in [0, 1), shared by every package's tests. */
import { seededRandom as rng } from '@resprune/test-backends';

export { rng };

/** `[n][d]` rows of N(0, 1) values rounded to float32. */
export function randomRows(n: number, d: number, seed: number): number[][] {
  const u = rng(seed);
  const g = (): number => Math.fround(Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
  return Array.from({ length: n }, () => Array.from({ length: d }, g));
}

/** Matcher for a ResPruneError code. */
export const code = (c: string): unknown => expect.objectContaining({ code: c });
