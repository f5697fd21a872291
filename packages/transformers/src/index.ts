/**
 * ResPrune inside transformers.js: {@link withPruning} wraps a loaded `@huggingface/transformers`
 * vision-language model (Qwen2-VL, Qwen2.5-VL, LLaVA-1.5, SmolVLM/Idefics3) so that generation runs on a pruned
 * visual sequence: the vision encoder's features are selected with `@resprune/selector`, conditioned
 * on the prompt's nouns embedded by the model's own `embed_tokens`, and only the kept features (and
 * their positions, from the `@resprune/backbone-*` adapters) reach the decoder.
 *
 * @example
 * ```ts
 * const pruned = withPruning(model, { budget: { ratio: 0.25 }, tokenizer: processor });
 * const out = await pruned.generate({ ...inputs, prompt: 'What is the dog doing?', max_new_tokens: 32 });
 * console.log(pruned.lastPrune?.visualTokensAfter);
 * ```
 * @packageDocumentation
 */
export { withPruning, type PrunedGenerateOptions, type PrunedModel, type PruningOptions } from './with-pruning.js';
export {
  generateWithPruning,
  prepareInputs,
  type PrunedGenerateRequest,
  type PrunedGenerateResult,
  type PrunedGenerateTimings,
  type TjsProcessorLike,
} from './generate.js';
export { familyFor, SUPPORTED_MODEL_TYPES, type TransformersFamily } from './families.js';
export { type PruneReport, type PruneTimings } from './prune.js';
export {
  type ModelInputs,
  type ModelOutputs,
  type TjsSession,
  type TjsTensor,
  type TjsTokenizerLike,
  type VisionLanguageModel,
} from './tjs.js';

/**
 * Package name, for diagnostics.
 * @example
 * ```ts
 * console.log(PACKAGE_NAME); // '@resprune/transformers'
 * ```
 */
export const PACKAGE_NAME = '@resprune/transformers';
