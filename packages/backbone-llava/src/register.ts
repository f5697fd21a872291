/**
 * Side-effect entry: registers {@link llava15}, {@link llavaNext} and the {@link LLAVA_PRESETS} in the process-wide
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
import { LLAVA_PRESETS, llava15, llavaNext } from './index.js';

// A second copy of this package finds the specs already registered and leaves them.
if (!backbones.has(llava15.id)) backbones.register(llava15);
if (!backbones.has(llavaNext.id)) backbones.register(llavaNext);
for (const preset of LLAVA_PRESETS) {
  if (!backbones.presetNames().includes(preset.name)) backbones.registerPreset(preset);
}
