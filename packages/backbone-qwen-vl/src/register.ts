/**
 * Side-effect entry: registers the Qwen-VL specs ({@link qwen25vl}, {@link qwen2vl}) in the process-wide `backbones`
 * registry of `@resprune/backbones` (once, even if imported twice).
 *
 * @example
 * ```ts
 * import '@resprune/backbone-qwen-vl/register';
 * import { backbones } from '@resprune/backbones';
 * backbones.fromConfig(configJson, preprocessorJson);
 * ```
 * @module register
 */
import { backbones } from '@resprune/backbones';
import { QWEN_VL_PRESETS, qwen25vl, qwen2vl } from './index.js';

// A second copy of this package finds the specs already registered and leaves them.
for (const spec of [qwen25vl, qwen2vl]) {
  if (!backbones.has(spec.id)) backbones.register(spec);
}
for (const preset of QWEN_VL_PRESETS) {
  if (!backbones.presetNames().includes(preset.name)) backbones.registerPreset(preset);
}
