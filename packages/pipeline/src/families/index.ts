import { ModelFamilyRegistry } from '../family.js';
import { llavaFamily } from './llava.js';

/**
 * The model families this pipeline runs: LLaVA-1.5 and LLaVA-NeXT ({@link llavaFamily}).
 * `loadPipeline` resolves config.json's `model_type` here unless given a registry of its own.
 *
 * @example
 * ```ts
 * modelFamilies.modelTypes(); // ['llava', 'llava_next', …]
 * ```
 */
export const modelFamilies: ModelFamilyRegistry = new ModelFamilyRegistry().register(llavaFamily);

export { llavaFamily, type LlavaFamilyConfig } from './llava.js';
