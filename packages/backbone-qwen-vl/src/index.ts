/**
 * Qwen-VL adapters for ResPrune: Qwen2.5-VL and Qwen2-VL token layouts (smart resize to multiples of 28 within
 * min/max pixels, 2×2 merge) and M-RoPE (t, h, w) position ids after pruning. Pure: import
 * `@resprune/backbone-qwen-vl/register` to add the specs to the default registry.
 *
 * @example
 * ```ts
 * import { BackboneRegistry } from '@resprune/backbones';
 * import { qwen25vl } from '@resprune/backbone-qwen-vl';
 *
 * const adapter = new BackboneRegistry().register(qwen25vl).fromConfig(configJson, preprocessorJson);
 * adapter.layout({ width: 1008, height: 1008 }).tokens; // 1296
 * ```
 * @packageDocumentation
 */
export { QWEN2_5_VL_3B, QWEN2_5_VL_7B, QWEN_VL_PRESETS } from './presets.js';
export { DEFAULT_RESIZE_LIMITS, roundHalfEven, smartResize, type ResizeLimits } from './smart-resize.js';
export {
  createQwenVlAdapter,
  defineQwenVl,
  parseQwenVlConfig,
  qwen25vl,
  qwen2vl,
  type QwenVlConfig,
  type QwenVlFamily,
} from './qwen.js';
