/**
 * LLaVA-1.5 and LLaVA-NeXT adapters for ResPrune: visual token layouts that match Hugging Face
 * transformers' processors, budgets and contiguous position re-indexing after pruning. Pure: import
 * `@resprune/backbone-llava/register` to add both specs to the default registry.
 *
 * @example
 * ```ts
 * import { BackboneRegistry } from '@resprune/backbones';
 * import { llava15, llavaNext } from '@resprune/backbone-llava';
 *
 * const registry = new BackboneRegistry().register(llava15).register(llavaNext);
 * const adapter = registry.fromConfig(configJson); // model_type "llava" or "llava_next"
 * adapter.layout({ width: 1100, height: 808 }).tokens; // 576 for LLaVA-1.5, 2340 for LLaVA-NeXT
 * ```
 * @packageDocumentation
 */
export { selectBestResolution, truncAfterRound7, unpaddedGrid } from './anyres.js';
export { LLAVA_1_5_7B, LLAVA_PRESETS, LLAVA_V1_6_MISTRAL_7B, LLAVA_V1_6_VICUNA_7B } from './presets.js';
export {
  createLlava15Adapter,
  createLlavaNextAdapter,
  llava15,
  llavaNext,
  llavaNextGeometry,
  parseLlava15Config,
  parseLlavaNextConfig,
  type Llava15Config,
  type LlavaNextConfig,
} from './llava.js';
