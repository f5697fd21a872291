import { ResPruneError } from '@resprune/errors';
import { validateImageSize } from './config.js';
import type {
  BudgetDefaults,
  ImageLayout,
  ImageLayoutSpec,
  ImageSize,
  PositionScheme,
  TokenInfo,
  ViewLayout,
  VisualLayout,
} from './types.js';

/** What {@link assembleLayout} needs to know about the backbone. */
export interface LayoutMeta {
  /** Adapter id. */
  readonly backbone: string;
  /** The config's `model_type`. */
  readonly modelType: string;
  /** Position scheme of the backbone's LLM. */
  readonly positionScheme: PositionScheme;
  /** Default budget policy and newline rule. */
  readonly defaults: BudgetDefaults;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkSpec(spec: ImageLayoutSpec, backbone: string, image: number): void {
  const bad = (what: string): never => {
    throw new ResPruneError('E_INTERNAL', `backbone "${backbone}" returned an invalid layout for image ${image}: ${what}`);
  };
  if (!Array.isArray(spec.views) || spec.views.length === 0) bad('no views');
  for (const view of spec.views) {
    if (!isCount(view.rows) || !isCount(view.cols)) bad(`view "${view.name}" has rows=${view.rows} cols=${view.cols}`);
    const c = view.crops;
    if (c !== undefined) {
      const parts = [c.rows, c.cols, c.cropRows, c.cropCols, c.offsetRow, c.offsetCol];
      if (!parts.every(isCount) || c.rows < 1 || c.cols < 1 || c.cropRows < 1 || c.cropCols < 1) {
        bad(`view "${view.name}" has a malformed crop grid`);
      }
      if (c.offsetRow + view.rows > c.rows * c.cropRows || c.offsetCol + view.cols > c.cols * c.cropCols) {
        bad(`view "${view.name}" extends beyond its crop grid`);
      }
    }
  }
}

/**
 * Places per-image layouts one after the other and derives views, spans and newline indices. This is
 * what {@link createAdapter} calls; adapter authors rarely need it directly.
 *
 * @param meta - backbone id, model type, position scheme and defaults
 * @param images - the original image sizes, in prompt order
 * @param specs - one {@link ImageLayoutSpec} per image, in the same order
 * @returns the assembled {@link VisualLayout}
 * @throws {@link @resprune/errors!ResPruneError} `E_INTERNAL` when a spec is malformed (an adapter bug)
 * @example
 * ```ts
 * const layout = assembleLayout(
 *   { backbone: 'toy', modelType: 'toy', positionScheme: 'sequential', defaults: { policy: 'global', newlines: 'drop' } },
 *   [{ width: 28, height: 28 }],
 *   [{ views: [{ name: 'image', rows: 2, cols: 2 }] }],
 * );
 * layout.tokens; // 4
 * ```
 */
export function assembleLayout(
  meta: LayoutMeta,
  images: readonly ImageSize[],
  specs: readonly ImageLayoutSpec[],
): VisualLayout {
  const views: ViewLayout[] = [];
  const placed: ImageLayout[] = [];
  const newlines: number[] = [];
  let offset = 0;
  specs.forEach((spec, image) => {
    checkSpec(spec, meta.backbone, image);
    const start = offset;
    const imageViews: ViewLayout[] = [];
    for (const v of spec.views) {
      const newlineAfterRow = v.newlineAfterRow === true;
      const length = v.rows * (v.cols + (newlineAfterRow ? 1 : 0));
      const view: ViewLayout = {
        image,
        index: views.length,
        name: v.name,
        rows: v.rows,
        cols: v.cols,
        start: offset,
        length,
        newlineAfterRow,
        crops: v.crops === undefined ? undefined : { ...v.crops },
      };
      if (newlineAfterRow) {
        for (let r = 0; r < v.rows; r++) newlines.push(offset + r * (v.cols + 1) + v.cols);
      }
      views.push(view);
      imageViews.push(view);
      offset += length;
    }
    const size = images[image]!;
    placed.push({
      index: image,
      size: { width: size.width, height: size.height },
      start,
      length: offset - start,
      views: imageViews,
      details: { ...(spec.details ?? {}) },
    });
  });
  return {
    backbone: meta.backbone,
    modelType: meta.modelType,
    positionScheme: meta.positionScheme,
    tokens: offset,
    images: placed,
    views,
    newlines,
    defaults: { ...meta.defaults },
  };
}

/**
 * Normalises the `images` argument of `adapter.layout`: one size or a list, each validated.
 *
 * @param images - one image size or a list of them
 * @returns the list
 * @throws {@link @resprune/errors!ResPruneError} `E_EMPTY_INPUT` for an empty list; `E_IMAGE_SIZE` for a bad size
 * @example
 * ```ts
 * imageList({ width: 640, height: 480 }); // [{ width: 640, height: 480 }]
 * ```
 */
export function imageList(images: ImageSize | readonly ImageSize[]): readonly ImageSize[] {
  const list: readonly ImageSize[] = Array.isArray(images) ? images : [images as ImageSize];
  if (list.length === 0) {
    throw new ResPruneError('E_EMPTY_INPUT', 'layout: give at least one image size');
  }
  list.forEach((size, i) => validateImageSize(size, list.length === 1 ? 'image' : `image ${i}`));
  return list;
}

/**
 * Describes one visual token: its image, view, row, column, crop, and whether it is a newline.
 *
 * @param layout - the layout
 * @param index - a visual token index in `[0, layout.tokens)`
 * @returns where the token sits
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` when `index` is out of range
 * @example
 * ```ts
 * tokenInfo(layout, 0); // { image: 0, view: 0, row: 0, col: 0, newline: false, crop: undefined }
 * ```
 */
export function tokenInfo(layout: VisualLayout, index: number): TokenInfo {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.tokens) {
    throw new ResPruneError(
      'E_INVALID_OPTION',
      `token index ${index} is out of range: the ${layout.backbone} layout has ${layout.tokens} visual tokens`,
    );
  }
  const views = layout.views;
  let lo = 0;
  let hi = views.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (views[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  // Skip empty views that share a start with the next one.
  let v = lo;
  while (views[v]!.length === 0 || index >= views[v]!.start + views[v]!.length) v++;
  const view = views[v]!;
  const width = view.cols + (view.newlineAfterRow ? 1 : 0);
  const offset = index - view.start;
  const row = Math.floor(offset / width);
  const col = offset - row * width;
  const newline = view.newlineAfterRow && col === view.cols;
  let crop: number | undefined;
  const c = view.crops;
  if (c !== undefined) {
    const gridCol = Math.min(col, Math.max(view.cols - 1, 0)) + c.offsetCol;
    const cr = Math.min(Math.floor((row + c.offsetRow) / c.cropRows), c.rows - 1);
    const cc = Math.min(Math.floor(gridCol / c.cropCols), c.cols - 1);
    crop = cr * c.cols + cc;
  }
  return { image: view.image, view: view.index, row, col, newline, crop };
}

/**
 * The JSON form of a layout printed by `resprune layout --json`:
 * `{ backbone, modelType, tokens, views: [{ rows, cols, start, length }], newlines, images }`.
 *
 * @param layout - the layout
 * @returns a plain JSON-serialisable object
 * @example
 * ```ts
 * JSON.stringify(layoutToJson(layout));
 * ```
 */
export function layoutToJson(layout: VisualLayout): LayoutJson {
  return {
    backbone: layout.backbone,
    modelType: layout.modelType,
    tokens: layout.tokens,
    views: layout.views.map((v) => ({ rows: v.rows, cols: v.cols, start: v.start, length: v.length })),
    newlines: [...layout.newlines],
    images: layout.images.map((image) => ({
      width: image.size.width,
      height: image.size.height,
      start: image.start,
      length: image.length,
      views: image.views.map((v) => v.name),
      ...image.details,
    })),
  };
}

/**
 * The JSON shape returned by {@link layoutToJson}.
 *
 * @example
 * ```ts
 * const json: LayoutJson = layoutToJson(layout);
 * ```
 */
export interface LayoutJson {
  /** Adapter id. */
  readonly backbone: string;
  /** The config's `model_type`. */
  readonly modelType: string;
  /** Total visual tokens. */
  readonly tokens: number;
  /** Every view's grid and span. */
  readonly views: ReadonlyArray<{ readonly rows: number; readonly cols: number; readonly start: number; readonly length: number }>;
  /** Newline token indices. */
  readonly newlines: readonly number[];
  /** Per-image size, span, view names and adapter details. */
  readonly images: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/**
 * Checks that a visual token matrix has as many rows as the layout has tokens.
 *
 * @param layout - the layout
 * @param rows - number of visual token rows the caller has (`[tokens, hidden]`)
 * @param what - how to name the matrix in the message (default `visual tokens`)
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` when the counts differ
 * @example
 * ```ts
 * assertTokenCount(layout, visual.shape[0]);
 * ```
 */
export function assertTokenCount(layout: VisualLayout, rows: number, what = 'visual tokens'): void {
  if (rows !== layout.tokens) {
    const sizes = layout.images.map((i) => `${i.size.width}x${i.size.height}`).join(', ');
    throw new ResPruneError(
      'E_SHAPE_MISMATCH',
      `${what} have ${rows} rows but ${layout.backbone} lays out ${layout.tokens} tokens for ${sizes}; check the image size and the config`,
      { details: { rows, tokens: layout.tokens } },
    );
  }
}
