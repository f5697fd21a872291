/**
 * Reference LVLM inference on TensorFlow.js: loads LLaVA-1.5 (`llava`) and LLaVA-NeXT (`llava_next`) checkpoints
 * exactly as published on the Hugging Face hub and prunes the visual tokens between the projector and the
 * first LLM layer.
 *
 * - {@link loadPipeline} loads a checkpoint directory once; `generate` / `generateBatch` run requests.
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
export {
  parseImageProcessorConfig,
  decodeRgb,
  preprocessImage,
  selectBestResolution,
  type ImageProcessorConfig,
  type RgbImage,
  type PreprocessedImage,
} from './preprocess.js';
export {
  tokenizerFromJson,
  loadCheckpointTokenizer,
  renderChatPrompt,
  type PipelineTokenizer,
  type CheckpointTokenizer,
} from './tokenizer.js';
export { pipelineBackbones, resolveBackbone } from './backbone.js';
export { prefillFlops, kvBytesFor, type PrefillFlops, type PrefillShape } from './flops.js';
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
  type SamplingOptions,
  type GenerateRequest,
  type GenerationTimings,
  type GenerationReport,
  type GenerateResult,
  type LvlmPipeline,
} from './pipeline.js';
export { registrySelector, promptTextVectors } from './defaults.js';
export { writeRandomLlavaCheckpoint, type RandomCheckpointOptions } from './random-checkpoint.js';
