import { ResPruneError } from '@resprune/errors';
import { planBudget, type Budget, type BudgetPlan, type PlanOptions } from './budget.js';
import { compact, type CompactedInput, type CompactOptions } from './compact.js';
import { assembleLayout, imageList } from './layout.js';
import type { BudgetDefaults, ImageLayoutSpec, ImageSize, PositionScheme, VisualLayout } from './types.js';

/**
 * What the token selector and the pipeline need from a backbone: the visual token layout for image
 * sizes, per-unit budgets, and the compacted LLM input for a selection. Adapters hold no tensors.
 *
 * @example
 * ```ts
 * const adapter = backbones.fromConfig(config);
 * const layout = adapter.layout([{ width: 640, height: 480 }]);
 * const plan = adapter.plan(layout, { keep: 128 });
 * ```
 */
export interface BackboneAdapter {
  /** The spec id, e.g. `llava-next`. */
  readonly id: string;
  /** The config's `model_type`. */
  readonly modelType: string;
  /** How positions are numbered after pruning. */
  readonly positionScheme: PositionScheme;
  /** Image placeholder token id from the config, when it has one. */
  readonly imageTokenId: number | undefined;
  /** Default budget policy and newline rule. */
  readonly defaults: BudgetDefaults;
  /**
   * Number of visual tokens (= image placeholder tokens the HF processor inserts) for one image.
   *
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for a bad size
   */
  imageTokenCount(image: ImageSize): number;
  /**
   * The layout of one image or of several (in prompt order).
   *
   * @throws {@link @resprune/errors!ResPruneError} `E_IMAGE_SIZE` for a bad size; `E_EMPTY_INPUT` for no image
   */
  layout(images: ImageSize | readonly ImageSize[]): VisualLayout;
  /** {@link planBudget} with this adapter's defaults. */
  plan(layout: VisualLayout, budget: Budget, options?: PlanOptions): BudgetPlan;
  /** {@link compact} with this adapter's defaults. */
  compact(layout: VisualLayout, kept: ArrayLike<number>, options?: CompactOptions): CompactedInput;
}

/**
 * The part of an adapter that is specific to a backbone: ids, position scheme, defaults and the
 * layout of one image. {@link createAdapter} turns it into a full {@link BackboneAdapter}.
 *
 * @example
 * ```ts
 * const definition: AdapterDefinition = {
 *   id: 'toy', modelType: 'toy', positionScheme: 'sequential',
 *   imageLayout: () => ({ views: [{ name: 'image', rows: 2, cols: 2 }] }),
 * };
 * ```
 */
export interface AdapterDefinition {
  /** Spec id. */
  readonly id: string;
  /** The config's `model_type`. */
  readonly modelType: string;
  /** Position scheme of the LLM. */
  readonly positionScheme: PositionScheme;
  /** Image placeholder token id, when known. */
  readonly imageTokenId?: number | undefined;
  /** Defaults; unset fields fall back to `{ policy: 'global', newlines: 'drop' }`. */
  readonly defaults?: Partial<BudgetDefaults>;
  /**
   * Layout of one image (already validated: integer sides ≥ 1). Throw `E_IMAGE_SIZE` for sizes the
   * processor rejects.
   */
  imageLayout(image: ImageSize): ImageLayoutSpec;
}

/**
 * Builds a {@link BackboneAdapter} from the backbone-specific part: validation of image sizes,
 * assembly of multi-image layouts, budgets and compaction are shared by every adapter.
 *
 * @param definition - ids, scheme, defaults and the one-image layout
 * @returns the adapter
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when the definition is malformed
 * @example
 * ```ts
 * const adapter = createAdapter({
 *   id: 'toy', modelType: 'toy', positionScheme: 'sequential',
 *   imageLayout: () => ({ views: [{ name: 'image', rows: 2, cols: 2 }] }),
 * });
 * adapter.layout({ width: 10, height: 10 }).tokens; // 4
 * ```
 */
export function createAdapter(definition: AdapterDefinition): BackboneAdapter {
  if (typeof definition.id !== 'string' || definition.id === '' || typeof definition.imageLayout !== 'function') {
    throw new ResPruneError('E_INVALID_OPTION', 'createAdapter: a definition needs an id and an imageLayout function');
  }
  if (definition.positionScheme !== 'sequential' && definition.positionScheme !== 'mrope') {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `createAdapter: positionScheme must be "sequential" or "mrope", got "${String(definition.positionScheme)}"`,
    );
  }
  const defaults: BudgetDefaults = {
    policy: definition.defaults?.policy ?? 'global',
    newlines: definition.defaults?.newlines ?? 'drop',
  };
  const meta = {
    backbone: definition.id,
    modelType: definition.modelType,
    positionScheme: definition.positionScheme,
    defaults,
  };
  const layout = (images: ImageSize | readonly ImageSize[]): VisualLayout => {
    const list = imageList(images);
    return assembleLayout(
      meta,
      list,
      list.map((size) => definition.imageLayout({ width: size.width, height: size.height })),
    );
  };
  return {
    id: definition.id,
    modelType: definition.modelType,
    positionScheme: definition.positionScheme,
    imageTokenId: definition.imageTokenId,
    defaults,
    imageTokenCount: (image) => layout([image]).tokens,
    layout,
    plan: (l, budget, options) => planBudget(l, budget, options),
    compact: (l, kept, options) => compact(l, kept, options),
  };
}
