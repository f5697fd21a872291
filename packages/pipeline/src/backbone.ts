import { BackboneRegistry, type BackboneAdapter, type HfConfigLike } from '@resprune/backbones';
import { modelFamilies } from './families/index.js';

/**
 * The backbone adapters of the model families this pipeline runs ({@link modelFamilies}), in a registry of
 * their own (the process-wide `backbones` registry may hold adapters for models this pipeline cannot run).
 *
 * @example
 * ```ts
 * pipelineBackbones.fromConfig(configJson).imageTokenCount({ width: 640, height: 480 }); // 576 for LLaVA-1.5
 * ```
 */
export const pipelineBackbones: BackboneRegistry = modelFamilies
  .families()
  .flatMap((f) => f.backbones)
  .reduce((r, spec) => r.register(spec), new BackboneRegistry());

/**
 * Resolves the backbone adapter of a checkpoint from its config.json and preprocessor_config.json.
 *
 * @param config - parsed config.json
 * @param preprocessor - parsed preprocessor_config.json, when the checkpoint has one
 * @returns the adapter
 * @throws {@link @resprune/errors!ResPruneError} `E_BACKBONE_UNKNOWN` for a `model_type` no family runs;
 *   `E_BACKBONE_CONFIG` for a missing or inconsistent field (e.g. `crop_size` ≠ `vision_config.image_size`)
 * @example
 * ```ts
 * const adapter = resolveBackbone(JSON.parse(readFileSync('config.json', 'utf8')));
 * ```
 */
export function resolveBackbone(config: HfConfigLike, preprocessor?: HfConfigLike): BackboneAdapter {
  return pipelineBackbones.fromConfig(config, preprocessor);
}
