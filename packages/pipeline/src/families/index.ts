import { ModelFamilyRegistry } from '../family.js';
import { llavaFamily } from './llava.js';
import { qwen2VlFamily } from './qwen2-vl/family.js';

/**
 * The model families this pipeline runs: LLaVA-1.5 and LLaVA-NeXT ({@link llavaFamily}), Qwen2-VL and Qwen2.5-VL
 * ({@link qwen2VlFamily}). `loadPipeline` resolves config.json's `model_type` here unless given a registry of its own.
 *
 * @example
 * ```ts
 * modelFamilies.modelTypes(); // ['llava', 'llava_next', 'qwen2_vl', 'qwen2_5_vl']
 * ```
 */
export const modelFamilies: ModelFamilyRegistry = new ModelFamilyRegistry().register(llavaFamily).register(qwen2VlFamily);

export { llavaFamily, type LlavaFamilyConfig } from './llava.js';
export { qwen2VlFamily, type Qwen2VlFamilyConfig } from './qwen2-vl/family.js';
