import type { MethodInput, MethodOutput, SelectionMethod } from '../registry.js';
import { mulberry32 as randomFloats } from '@resprune/random';
import { readInteger } from './common.js';

/** Options of the `'random'` method (besides the common ones). */
export interface RandomOptions {
  /** PRNG seed, an integer in [0, 2³² − 1]. Default 0, so a run is reproducible unless you vary it. */
  readonly seed?: number;
}

/**
 * mulberry32, re-exported from its one home, `@resprune/random`: floats in [0, 1), deterministic for
 * a seed (taken modulo 2³²).
 *
 * @example
 * ```ts
 * import { mulberry32 } from '@resprune/selector';
 * const next = mulberry32(7);
 * console.log(next(), next());
 * ```
 */
export const mulberry32: (seed: number) => () => number = randomFloats;

/**
 * Random selection: a uniform sample without replacement, reproducible under a seed. The
 * baseline that unified evaluations of token pruning found surprisingly strong (e.g. the DART
 * paper, Wen et al., EMNLP 2025, reports random pruning beating several importance-based methods).
 *
 * Definition (ours; random sampling has no published reference implementation to follow):
 * `mulberry32(seed)` draws one key `u_i ∈ [0, 1)` per token in index order; the pick order is the
 * tokens sorted by key ascending (ties to the lowest index), and the first K are kept. Every
 * K-subset is equally likely and the order is a uniform random permutation prefix, so an
 * `energy` budget is meaningful: it keeps random tokens until the captured-energy curve reaches τ.
 *
 * - Options: `seed` (integer in [0, 2³² − 1], default 0). Text, `alpha` and `normalize` do not
 *   change the picks (`normalize` only changes the reported energy curve).
 * - Scores: each pick's key `u_i`.
 * - Energy: the generic unit-weight captured-energy curve along the pick order.
 * - Cost: O(N log N); no tensor work.
 *
 * @example
 * ```ts
 * import { selectWith } from '@resprune/selector';
 * const r = selectWith('random', [[1, 0], [0, 1], [1, 1], [2, 0]], { keep: 2, seed: 42 });
 * console.log(r.kept);
 * ```
 */
export const randomMethod: SelectionMethod = {
  name: 'random',
  description: 'random: uniform sample without replacement, reproducible with --seed (default 0)',
  optionNames: ['seed'],
  select(input: MethodInput): MethodOutput {
    const seed = readInteger('random', input.options, 'seed', 0, 0, 0xffffffff);
    const next = mulberry32(seed);
    const keys = Float64Array.from({ length: input.n }, () => next());
    const sorted = Array.from({ length: input.n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    const order = Int32Array.from(sorted.slice(0, input.count));
    return { order, scores: Float64Array.from(order, (i) => keys[i]!) };
  },
};
