/**
 * Idefics3 / SmolVLM adapters for ResPrune: token layouts that match the `<image>` placeholders of
 * transformers' `Idefics3Processor` (an image is cut into crops of `max_image_size` plus one global
 * image; each tile becomes `(image_size / patch_size / scale_factor)²` tokens after the pixel
 * shuffle), per-crop budgets, and contiguous position ids after pruning. Pure: import
 * `@resprune/backbone-idefics3/register` to add the specs to the default registry.
 *
 * @example
 * ```ts
 * import { BackboneRegistry } from '@resprune/backbones';
 * import { smolvlm } from '@resprune/backbone-idefics3';
 *
 * const adapter = new BackboneRegistry().register(smolvlm).fromConfig(configJson, preprocessorJson);
 * adapter.layout({ width: 1100, height: 808 }).tokens; // 3 × 4 crops + 1 global, 64 each: 832
 * ```
 * @packageDocumentation
 */
export {
  createIdefics3Adapter,
  defineIdefics3,
  IDEFICS3_MAX_IMAGE_SIZE,
  IDEFICS3_PROCESSOR_DEFAULTS,
  idefics3,
  idefics3Grid,
  parseIdefics3Config,
  smolvlm,
  type Idefics3Config,
  type Idefics3Family,
  type Idefics3Grid,
} from './idefics3.js';
