/**
 * Side-effect entry: registers {@link llava15} and {@link llavaNext} in the process-wide
 * `backbones` registry of `@resprune/backbones` (once, even if imported twice).
 *
 * @example
 * ```ts
 * import '@resprune/backbone-llava/register';
 * import { backbones } from '@resprune/backbones';
 * backbones.fromConfig(configJson);
 * ```
 * @module register
 */
import { backbones } from '@resprune/backbones';
import { llava15, llavaNext } from './index.js';

// A second copy of this package finds the specs already registered and leaves them.
if (!backbones.has(llava15.id)) backbones.register(llava15);
if (!backbones.has(llavaNext.id)) backbones.register(llavaNext);
