/**
 * The data an adapter produces: image sizes in, visual token layouts out. Plain readonly data, no
 * classes, so layouts serialise to JSON as they are.
 */

/**
 * The size of one input image in pixels, as the image file has it (before any processor resizing).
 *
 * @example
 * ```ts
 * const size: ImageSize = { width: 1100, height: 808 };
 * ```
 */
export interface ImageSize {
  /** Width in pixels, an integer ≥ 1. */
  readonly width: number;
  /** Height in pixels, an integer ≥ 1. */
  readonly height: number;
}

/**
 * The part of a Hugging Face `config.json` (or `preprocessor_config.json`) that adapters read: any
 * JSON object, with the `model_type` that the registry matches on.
 *
 * @example
 * ```ts
 * const config: HfConfigLike = { model_type: 'llava', vision_config: { image_size: 336, patch_size: 14 } };
 * ```
 */
export interface HfConfigLike {
  /** Hugging Face model type, e.g. `llava`, `llava_next`, `qwen2_5_vl`. */
  readonly model_type?: string;
  /** Hugging Face architecture class names. */
  readonly architectures?: readonly string[];
  /** Every other field of the JSON file. */
  readonly [key: string]: unknown;
}

/**
 * How the LLM numbers positions after pruning.
 *
 * - `sequential`: one position id per row, re-indexed contiguously over the compacted sequence
 *   (LLaVA-1.5, LLaVA-NeXT: Llama/Mistral RoPE).
 * - `mrope`: three ids (t, h, w) per row (Qwen2-VL, Qwen2.5-VL M-RoPE). Kept visual tokens keep
 *   their original ids; text after an image resumes after the image's original span.
 *
 * @example
 * ```ts
 * const scheme: PositionScheme = adapter.positionScheme; // 'sequential' for LLaVA
 * ```
 */
export type PositionScheme = 'sequential' | 'mrope';

/**
 * How one budget is split inside an image. Every policy first gives each image its own quota of
 * ⌈tokens × keep fraction⌉, so no image of a multi-image prompt is starved.
 *
 * - `global`: one budget over all of an image's candidate tokens (base view and crops together).
 * - `per-view`: one quota per contiguous view (LLaVA-NeXT: the base view and the crop grid).
 * - `per-crop`: one quota per view and, inside a tiled view, per crop (LLaVA-NeXT: base + each
 *   336-px crop after unpadding), like the per-crop budgets of some peers.
 *
 * Backbones with one view per image (LLaVA-1.5, Qwen) give the same plan under all three.
 *
 * @example
 * ```ts
 * const policy: BudgetPolicy = 'per-crop';
 * ```
 */
export type BudgetPolicy = 'global' | 'per-view' | 'per-crop';

/**
 * What happens to row-separator tokens (LLaVA-NeXT `image_newline`).
 *
 * - `drop`: never selectable, removed from the compacted input (the budget counts exactly what the
 *   LLM sees).
 * - `keep`: never selectable, always kept (outside the budget).
 * - `keep-rows`: never selectable; the newline of a row stays when at least one token of that row
 *   stays (outside the budget).
 * - `select`: ordinary candidates: the selector decides, and they count against the budget.
 *
 * @example
 * ```ts
 * const rule: NewlinePolicy = 'keep-rows';
 * ```
 */
export type NewlinePolicy = 'drop' | 'keep' | 'keep-rows' | 'select';

/**
 * An adapter's default budget policy and newline rule.
 *
 * @example
 * ```ts
 * const defaults: BudgetDefaults = { policy: 'global', newlines: 'drop' };
 * ```
 */
export interface BudgetDefaults {
  /** Default {@link BudgetPolicy}. */
  readonly policy: BudgetPolicy;
  /** Default {@link NewlinePolicy}. */
  readonly newlines: NewlinePolicy;
}

/**
 * A view whose grid is the union of equally sized crops (tiles), possibly cropped at the border
 * (LLaVA-NeXT unpadding). Token (row r, col c) of the view belongs to crop
 * `floor((r + offsetRow) / cropRows) * cols + floor((c + offsetCol) / cropCols)`.
 *
 * @example
 * ```ts
 * // 2×2 crops of 24×24 tokens, 6 padding rows removed at the top
 * const crops: CropGrid = { rows: 2, cols: 2, cropRows: 24, cropCols: 24, offsetRow: 6, offsetCol: 0 };
 * ```
 */
export interface CropGrid {
  /** Crops per column of the grid. */
  readonly rows: number;
  /** Crops per row of the grid. */
  readonly cols: number;
  /** Token rows per crop. */
  readonly cropRows: number;
  /** Token columns per crop. */
  readonly cropCols: number;
  /** Token rows removed above the view (unpadding). */
  readonly offsetRow: number;
  /** Token columns removed left of the view (unpadding). */
  readonly offsetCol: number;
}

/**
 * One view of an image as an adapter describes it, before offsets are assigned: a grid of
 * `rows × cols` tokens in row-major order, optionally followed by one separator token per row.
 *
 * @example
 * ```ts
 * const base: ViewSpec = { name: 'base', rows: 24, cols: 24 };
 * ```
 */
export interface ViewSpec {
  /** Short name: `image`, `base`, `crops`, `cls`. */
  readonly name: string;
  /** Token rows (integer ≥ 0). */
  readonly rows: number;
  /** Token columns (integer ≥ 0). */
  readonly cols: number;
  /** One separator (newline) token after each row; default false. */
  readonly newlineAfterRow?: boolean;
  /** Crop structure of the grid, when the view is tiled. */
  readonly crops?: CropGrid;
}

/**
 * The layout of one image as an adapter computes it: its views in token order, and free-form
 * details (resized size, chosen grid) for reports.
 *
 * @example
 * ```ts
 * const spec: ImageLayoutSpec = { views: [{ name: 'image', rows: 24, cols: 24 }], details: {} };
 * ```
 */
export interface ImageLayoutSpec {
  /** Views in the order their tokens reach the LLM. */
  readonly views: readonly ViewSpec[];
  /** JSON-serialisable details for reports (e.g. `resized`, `bestResolution`). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * One view placed in a {@link VisualLayout}: a contiguous span of visual tokens.
 *
 * @example
 * ```ts
 * const view = layout.views[0]!;
 * console.log(view.rows, view.cols, view.start, view.length);
 * ```
 */
export interface ViewLayout {
  /** Index of the image this view belongs to. */
  readonly image: number;
  /** Index of this view in {@link VisualLayout.views}. */
  readonly index: number;
  /** Short name: `image`, `base`, `crops`, `cls`. */
  readonly name: string;
  /** Token rows. */
  readonly rows: number;
  /** Token columns (not counting the newline). */
  readonly cols: number;
  /** Index of the view's first token among all visual tokens of the prompt. */
  readonly start: number;
  /** Tokens in the view: `rows × (cols + 1)` with newlines, else `rows × cols`. */
  readonly length: number;
  /** Whether each row ends with a newline token. */
  readonly newlineAfterRow: boolean;
  /** Crop structure, for tiled views. */
  readonly crops: CropGrid | undefined;
}

/**
 * One image placed in a {@link VisualLayout}: its span of visual tokens and its views.
 *
 * @example
 * ```ts
 * for (const image of layout.images) console.log(image.start, image.length);
 * ```
 */
export interface ImageLayout {
  /** Index of the image in prompt order. */
  readonly index: number;
  /** The image's original size. */
  readonly size: ImageSize;
  /** Index of the image's first token among all visual tokens. */
  readonly start: number;
  /** Number of tokens of this image (= image placeholder tokens the HF processor inserts). */
  readonly length: number;
  /** The image's views, in token order. */
  readonly views: readonly ViewLayout[];
  /** Adapter-specific details (resized size, chosen grid). */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * The visual token layout of a prompt's images for one backbone: how many tokens, the grid of each
 * view, the span of each image, and which indices are newline tokens. Indices count visual tokens
 * only, in prompt order (image 0's tokens, then image 1's, …).
 *
 * @example
 * ```ts
 * const layout = adapter.layout([{ width: 1100, height: 808 }]);
 * console.log(layout.tokens, layout.views.length, layout.newlines.length);
 * ```
 */
export interface VisualLayout {
  /** Adapter id, e.g. `llava-next`. */
  readonly backbone: string;
  /** The config's `model_type`, e.g. `llava_next`. */
  readonly modelType: string;
  /** How positions are numbered after pruning. */
  readonly positionScheme: PositionScheme;
  /** Total visual tokens over all images. */
  readonly tokens: number;
  /** Per-image spans. */
  readonly images: readonly ImageLayout[];
  /** All views of all images, in token order. */
  readonly views: readonly ViewLayout[];
  /** Indices of newline (row separator) tokens, ascending. */
  readonly newlines: readonly number[];
  /** The adapter's default budget policy and newline rule. */
  readonly defaults: BudgetDefaults;
}

/**
 * Where one visual token sits: its image, view, row and column, and whether it is a newline.
 *
 * @example
 * ```ts
 * const info: TokenInfo = tokenInfo(layout, 600);
 * ```
 */
export interface TokenInfo {
  /** Image index. */
  readonly image: number;
  /** View index in {@link VisualLayout.views}. */
  readonly view: number;
  /** Row inside the view. */
  readonly row: number;
  /** Column inside the view (`cols` for the newline that ends a row). */
  readonly col: number;
  /** True for a newline (row separator) token. */
  readonly newline: boolean;
  /** Crop index inside a tiled view (newlines: the crop of the row's last column); else undefined. */
  readonly crop: number | undefined;
}
