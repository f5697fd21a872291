import { BackboneRegistry, type BackboneAdapter, type HfConfigLike } from '@resprune/backbones';
import { llava15, llavaNext } from '@resprune/backbone-llava';

/**
 * The backbones this pipeline's model code runs: LLaVA-1.5 (`llava`) and LLaVA-NeXT (`llava_next`) from
 * `@resprune/backbone-llava`, in a registry of its own (the process-wide `backbones` registry may hold adapters
 * for models this pipeline cannot run, such as Qwen2-VL).
 *
 * @example
 * ```ts
 * pipelineBackbones.fromConfig(configJson).imageTokenCount({ width: 640, height: 480 }); // 576 for LLaVA-1.5
 * ```
 */
export const pipelineBackbones: BackboneRegistry = new BackboneRegistry().register(llava15).register(llavaNext);

/**
 * Resolves the backbone adapter of a checkpoint from its config.json and preprocessor_config.json.
 *
 * @param config - parsed config.json
 * @param preprocessor - parsed preprocessor_config.json, when the checkpoint has one
 * @returns the adapter
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` for a `model_type` other than `llava`/`llava_next`;
 *   `E_BACKBONE_CONFIG` for a missing or inconsistent field (e.g. `crop_size` ≠ `vision_config.image_size`)
 * @example
 * ```ts
 * const adapter = resolveBackbone(JSON.parse(readFileSync('config.json', 'utf8')));
 * ```
 */
export function resolveBackbone(config: HfConfigLike, preprocessor?: HfConfigLike): BackboneAdapter {
  return pipelineBackbones.fromConfig(config, preprocessor);
}
