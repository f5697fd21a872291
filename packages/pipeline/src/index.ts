/**
 * Reference LVLM inference on TensorFlow.js: loads LLaVA-1.5 (`llava`), LLaVA-NeXT (`llava_next`), Qwen2-VL
 * (`qwen2_vl`) and Qwen2.5-VL (`qwen2_5_vl`) checkpoints exactly as published on the Hugging Face hub and prunes
 * the visual tokens between the connector (projector or patch merger) and the first LLM layer.
 *
 * - {@link loadPipeline} loads a checkpoint directory once; `generate` / `generateBatch` run requests, `embed`
 *   stops before the prefill and returns the pruned `inputs_embeds` and position ids for another engine.
 * - A model family ({@link ModelFamily}) is a module: processor, vision encoder + connector, decoder settings and
 *   backbone adapters; {@link modelFamilies} maps `model_type` to one. The request loop names no family.
 * - The safetensors reader of `@resprune/safetensors` ({@link openSafetensors}, {@link readSafetensorsHeader}, re-exported here) handles F32, F16 and BF16,
 *   single files and sharded checkpoints, with typed errors naming file and tensor.
 * - {@link writeRandomLlavaCheckpoint} writes a random checkpoint in the same layout, for tests and benchmarks.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { loadPipeline } from '@resprune/pipeline';
 *
 * await tf.setBackend('cpu');
 * const lvlm = await loadPipeline('llava-1.5-7b-hf', { selector });
 * const out = await lvlm.generate({ image: 'dog.jpg', prompt: 'What is the dog doing?', budget: { keep: 128 } });
 * console.log(out.text, out.report);
 * lvlm.dispose();
 * ```
 * @packageDocumentation
 */

export {
  SAFETENSORS_DTYPES,
  LOADABLE_DTYPES,
  readSafetensorsHeader,
  openSafetensors,
  writeSafetensors,
  decodeToFloat32,
  encodeFromFloat32,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsReader,
  type SafetensorsTensorSpec,
} from '@resprune/safetensors';
export {
  SINGLE_WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  layoutName,
  locateWeights,
  loadWeights,
  readJsonFile,
  type TensorNameLayout,
  type LoadProgress,
  type CheckpointFiles,
  type WeightSpec,
  type LoadedWeights,
  type LoadWeightsOptions,
} from './checkpoint.js';
export {
  parseLlavaConfig,
  featureLayers,
  type Activation,
  type ClipVisionConfig,
  type LlamaTextConfig,
  type LlavaModelConfig,
} from './config.js';
export type { RgbImage } from '@resprune/image-processing';
export {
  tokenizerFromJson,
  loadCheckpointTokenizer,
  renderChatPrompt,
  type PipelineTokenizer,
  type CheckpointTokenizer,
} from './tokenizer.js';
export { pipelineBackbones, resolveBackbone } from './backbone.js';
export {
  decoderForward,
  scopeWeights,
  projectLogits,
  disposeKvCache,
  kvCacheBytes,
  type KvCache,
  type LlamaStepOutput,
} from './models/llama.js';
export { prefillFlops, kvBytesFor, type PrefillFlops, type PrefillShape } from './flops.js';
export {
  ModelFamilyRegistry,
  type ModelFamily,
  type FamilyModelConfig,
  type FamilyWeights,
  type ProcessedImage,
  type VisionFlops,
  type WeightAccessor,
} from './family.js';
export { modelFamilies, llavaFamily, qwen2VlFamily, type LlavaFamilyConfig, type Qwen2VlFamilyConfig } from './families/index.js';
export {
  MAX_IMAGES_PER_REQUEST,
  MAX_NEW_TOKENS_LIMIT,
  requestImages,
  throwIfAborted,
  validateGenerateRequest,
  type GenerateRequest,
  type ImageInput,
  type SamplingOptions,
} from './request.js';
export {
  checkBudget,
  toBackboneBudget,
  planPruning,
  type PruneBudget,
  type SelectorCall,
  type TokenSelector,
  type NewlineRule,
  type PruningPlan,
  type PrunedUnit,
  type PlanPruningOptions,
} from './prune.js';
export {
  loadPipeline,
  type LoadPipelineOptions,
  type SelectionEngineInfo,
  type EmbedResult,
  type LlmInputs,
  type GenerationTimings,
  type GenerationReport,
  type GenerateResult,
  type LvlmPipeline,
} from './pipeline.js';
export { registrySelector, promptTextVectors } from './defaults.js';
export { writeRandomLlavaCheckpoint, type RandomCheckpointOptions } from './random-checkpoint.js';
export {
  parseQwen2VlConfig,
  type Qwen2VlModelType,
  type Qwen2VlModelConfig,
  type Qwen2VlVisionConfig,
} from './families/qwen2-vl/config.js';
export {
  qwenWeightSpec,
  qwenLayoutName,
  detectQwenLayout,
  isQwenLinearWeight,
  qwenFallbacks,
  loadQwenWeights,
  type QwenTensorLayout,
} from './families/qwen2-vl/weights.js';
export { encodeQwenVision, type GridThw } from './families/qwen2-vl/vision.js';
export { writeRandomQwenVlCheckpoint, type RandomQwenVlCheckpointOptions } from './families/qwen2-vl/random-checkpoint.js';
