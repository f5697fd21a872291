/**
 * The one seeded pseudo-random generator of ResPrune.js: mulberry32 (Tommy Ettinger's 32-bit
 * generator), integer arithmetic only, so a seed gives the same sequence in Node, browsers and
 * workers. Used by the random selection method, the random test checkpoints, sampled decoding and
 * the synthetic benchmark tokens. Not for cryptography.
 *
 * @example
 * ```ts
 * import { mulberry32 } from '@resprune/random';
 * const next = mulberry32(7);
 * console.log(next(), next()); // two numbers in [0, 1), the same on every run
 * ```
 * @packageDocumentation
 */

/**
 * mulberry32 as raw 32-bit outputs: each call advances the state by `0x6d2b79f5` and returns the
 * mixed state as an unsigned integer in `[0, 2^32)`.
 *
 * @param seed - any number; taken as an unsigned 32-bit integer (`seed >>> 0`)
 * @returns a function giving the next output
 * @example
 * ```ts
 * import { mulberry32Uint32 } from '@resprune/random';
 * const next = mulberry32Uint32(0);
 * console.log(next()); // 1144304738
 * ```
 */
export function mulberry32Uint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * mulberry32 as uniform numbers in `[0, 1)`: {@link mulberry32Uint32} divided by 2^32 (exact in
 * float64). Add `2 ** -33` for the open interval `(0, 1)` (e.g. before a logarithm).
 *
 * @param seed - any number; taken as an unsigned 32-bit integer (`seed >>> 0`)
 * @returns a function giving the next number
 * @example
 * ```ts
 * import { mulberry32 } from '@resprune/random';
 * const u = mulberry32(42);
 * const keys = Array.from({ length: 4 }, u); // four numbers in [0, 1)
 * ```
 */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}
