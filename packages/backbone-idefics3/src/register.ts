/**
 * Side-effect entry: registers the Idefics3-family specs ({@link smolvlm}, {@link idefics3}) in the
 * process-wide `backbones` registry of `@resprune/backbones` (once, even if imported twice).
 *
 * @example
 * ```ts
 * import '@resprune/backbone-idefics3/register';
 * import { backbones } from '@resprune/backbones';
 * backbones.fromConfig(configJson, preprocessorJson);
 * ```
 * @module register
 */
import { backbones } from '@resprune/backbones';
import { idefics3, smolvlm } from './index.js';

// A second copy of this package finds the specs already registered and leaves them.
for (const spec of [smolvlm, idefics3]) {
  if (!backbones.has(spec.id)) backbones.register(spec);
}
