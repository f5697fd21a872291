import type { SelectionMethod } from '../registry.js';
import { cdprunerMethod } from './cdpruner.js';
import { dartMethod } from './dart.js';
import { divpruneMethod } from './divprune.js';
import { mmtokMethod } from './mmtok.js';
import { randomMethod } from './random.js';
import { uniformMethod } from './uniform.js';

export { CDPRUNER_RELEVANCE_MODES, cdprunerMethod, type CdprunerOptions, type CdprunerRelevance } from './cdpruner.js';
export { dartMethod, type DartOptions } from './dart.js';
export { divpruneMethod } from './divprune.js';
export { MAX_PAIRWISE_TOKENS } from './common.js';
export { mmtokMethod, type MmtokOptions } from './mmtok.js';
export { mulberry32, randomMethod, type RandomOptions } from './random.js';
export { gridIndices, stridedIndices, uniformMethod, type GridLayout, type UniformOptions } from './uniform.js';

/**
 * The peer methods registered in the shared registry next to `'resprune'`: `random`, `uniform`,
 * `divprune`, `cdpruner`, `dart`, `mmtok` (docs/guide/method.md#peer-methods). Each one's TSDoc names its paper, the
 * published defaults and where ours differs.
 *
 * @example
 * ```ts
 * import { PEER_METHODS } from '@resprune/selector';
 * console.log(PEER_METHODS.map((m) => `${m.name}: ${m.description}`).join('\n'));
 * ```
 */
export const PEER_METHODS: readonly SelectionMethod[] = [randomMethod, uniformMethod, divpruneMethod, cdprunerMethod, dartMethod, mmtokMethod];
