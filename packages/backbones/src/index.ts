/**
 * Backbone adapters for ResPrune: a registry of LVLM backbones resolved by Hugging Face
 * `config.model_type`, the adapter contract (visual token layouts for image sizes, per-image budget
 * quotas, compaction of the LLM input with the backbone's position ids) and the shared code every
 * adapter uses. The conformance suite lives at `@resprune/backbones/testing`.
 *
 * Adapters for LLaVA-1.5 / LLaVA-NeXT and Qwen2-VL / Qwen2.5-VL are in `@resprune/backbone-llava`
 * and `@resprune/backbone-qwen-vl`.
 *
 * @example
 * ```ts
 * import '@resprune/backbone-llava/register';
 * import { backbones, planBudget, selectWithPlan, compact } from '@resprune/backbones';
 *
 * const adapter = backbones.fromConfig(configJson);             // by model_type
 * const layout = adapter.layout([{ width: 1100, height: 808 }]); // 2340 tokens for LLaVA-NeXT
 * const plan = planBudget(layout, { ratio: 0.25 });
 * const kept = selectWithPlan(plan, (unit) => mySelector(unit.candidates, unit.budget));
 * const { keep, positions } = compact(layout, kept, { prompt: [{ text: 5 }, { image: 0 }, { text: 20 }] });
 * ```
 * @packageDocumentation
 */
export type {
  BudgetDefaults,
  BudgetPolicy,
  CropGrid,
  HfConfigLike,
  ImageLayout,
  ImageLayoutSpec,
  ImageSize,
  NewlinePolicy,
  PositionScheme,
  TokenInfo,
  ViewLayout,
  ViewSpec,
  VisualLayout,
} from './types.js';
export {
  configField,
  readChoice,
  readInt,
  readIntPairs,
  readObject,
  readTokenId,
  validateImageSize,
  type ReadIntOptions,
} from './config.js';
export { assembleLayout, assertTokenCount, imageList, layoutToJson, tokenInfo, type LayoutJson, type LayoutMeta } from './layout.js';
export {
  ceilQuota,
  mergeSelections,
  planBudget,
  selectWithPlan,
  validateBudget,
  type Budget,
  type BudgetPlan,
  type BudgetUnit,
  type PlanOptions,
  type UnitBudget,
} from './budget.js';
export {
  compact,
  keptVisualTokens,
  positionsToJson,
  promptFromInputIds,
  visualPositions,
  type CompactedInput,
  type CompactOptions,
  type PositionIds,
  type PromptPart,
} from './compact.js';
export { createAdapter, type AdapterDefinition, type BackboneAdapter } from './adapter.js';
export { KNOWN_PRESET_PACKAGES, type BackbonePreset } from './presets.js';
export {
  adapterFromPreset,
  BackboneRegistry,
  backbones,
  defineBackbone,
  KNOWN_BACKBONE_PACKAGES,
  listPresets,
  presetConfig,
  type BackboneSpec,
  type RegisterOptions,
} from './registry.js';
