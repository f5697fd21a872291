import { ResPruneError } from '@resprune/errors';
import { assertRgbImage, checkMaxSide, type RgbImage } from './image.js';

/** A token grid: `rows × cols` cells, token `r * cols + c` covering row r, column c. */
export interface TokenGrid {
  /** Number of grid rows. */
  readonly rows: number;
  /** Number of grid columns. */
  readonly cols: number;
}

/** Options of {@link overlayPixels} and {@link drawOverlay}: how kept and dropped cells look. */
export interface OverlayStyle {
  /** Brightness factor of dropped cells, in [0, 1]; 0 is black, 1 leaves them unchanged. Default 0.3. */
  readonly dim?: number;
  /** Outline colour of kept cells as `[r, g, b]` (0–255), or `null` for no outline. Default amber `[255, 196, 0]`. */
  readonly outline?: readonly [number, number, number] | null;
  /** Outline thickness in output pixels, a non-negative integer. Default: 1 per 512 px of the shorter side, at least 1. */
  readonly outlineWidth?: number;
}

/** Options of {@link renderOverlay}: the style, and an optional size limit. */
export interface OverlayOptions extends OverlayStyle {
  /** Downscale so the longer side is at most this many pixels before drawing (never upscales). Default: no limit. */
  readonly maxSide?: number;
}

/** Options of {@link asciiGrid}. */
export interface AsciiGridOptions {
  /** Character for a kept token. Default `'█'`. */
  readonly kept?: string;
  /** Character for a dropped token. Default `'·'`. */
  readonly dropped?: string;
}

/** Validates a grid and the kept indices, and returns a mask of `rows * cols` cells. */
export function keptMask(op: string, kept: ArrayLike<number>, grid: TokenGrid): Uint8Array {
  if (grid === null || typeof grid !== 'object') throw new ResPruneError('E_INVALID_OPTION', `${op}: grid must be { rows, cols }`);
  const { rows, cols } = grid;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: grid rows and cols must be positive integers, got ${rows}×${cols}`);
  }
  if (kept === null || typeof kept !== 'object' || typeof kept.length !== 'number') {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: kept must be an array of token indices`);
  }
  const n = rows * cols;
  const mask = new Uint8Array(n);
  for (let k = 0; k < kept.length; k++) {
    const i = kept[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new ResPruneError(
        'E_SHAPE_MISMATCH',
        `${op}: kept[${k}] = ${i} is not a token index of the ${rows}×${cols} grid (integers 0..${n - 1})`,
      );
    }
    mask[i] = 1;
  }
  return mask;
}

/**
 * One text line per grid row, one character per token: kept `'█'`, dropped `'·'`. Handy for a CLI.
 *
 * @param kept - kept token indices (`r * cols + c`), any order, duplicates allowed
 * @param grid - the token grid
 * @param options - the two characters
 * @returns `rows` lines of `cols` characters joined by `'\n'` (no trailing newline)
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a bad grid;
 *   `E_SHAPE_MISMATCH` for an index that is not in the grid
 * @example
 * ```ts
 * asciiGrid([0, 3], { rows: 2, cols: 2 }); // '█·\n·█'
 * ```
 */
export function asciiGrid(kept: ArrayLike<number>, grid: TokenGrid, options: AsciiGridOptions = {}): string {
  const mask = keptMask('asciiGrid', kept, grid);
  const on = options.kept ?? '█';
  const off = options.dropped ?? '·';
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let line = '';
    for (let c = 0; c < grid.cols; c++) line += mask[r * grid.cols + c] ? on : off;
    lines.push(line);
  }
  return lines.join('\n');
}

/** Start pixel of each of `cells` equal bands over `length` pixels, plus `length` at the end. */
function bandEdges(length: number, cells: number): Int32Array {
  const edges = new Int32Array(cells + 1);
  for (let i = 0; i <= cells; i++) edges[i] = Math.round((i * length) / cells);
  return edges;
}

/** Cell index of each pixel along one axis. */
function bandOf(edges: Int32Array, length: number): Int32Array {
  const out = new Int32Array(length);
  let cell = 0;
  for (let p = 0; p < length; p++) {
    while (p >= edges[cell + 1]!) cell++;
    out[p] = cell;
  }
  return out;
}

/** Checks overlay options; `maxSide` is left to the platform's {@link renderOverlay}. */
export function checkOverlayOptions(op: string, options: OverlayOptions): { dim: number; outline: readonly number[] | null; width: number | undefined; maxSide: number | undefined } {
  const dim = options.dim ?? 0.3;
  if (!(dim >= 0 && dim <= 1)) throw new ResPruneError('E_INVALID_OPTION', `${op}: dim must be in [0, 1], got ${dim}`);
  const outline = options.outline === undefined ? [255, 196, 0] : options.outline;
  if (outline !== null && (!Array.isArray(outline) || outline.length !== 3 || outline.some((v) => !Number.isInteger(v) || v < 0 || v > 255))) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: outline must be [r, g, b] with integers 0-255, or null; got ${JSON.stringify(outline)}`);
  }
  const width = options.outlineWidth;
  if (width !== undefined && (!Number.isInteger(width) || width < 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `${op}: outlineWidth must be a non-negative integer, got ${width}`);
  }
  const maxSide = checkMaxSide(op, options.maxSide);
  return { dim, outline, width, maxSide };
}

/**
 * Draws which tokens were kept on top of the image, in memory: kept grid cells keep their pixels and
 * get a thin outline, dropped cells are dimmed. The grid is laid over the whole image (tokens come
 * from the image resized to a square, so cells follow the image's aspect ratio). Pure JavaScript,
 * the same in Node and browsers; {@link renderOverlay} encodes the result as PNG and
 * {@link drawOverlay} puts it on a canvas.
 *
 * @param image - the decoded image, `[height, width, 3]`
 * @param kept - kept token indices (`r * cols + c`), any order
 * @param grid - the token grid, e.g. `{ rows: 24, cols: 24 }`
 * @param options - dimming, outline colour and width
 * @returns a new image of the same size
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a bad grid or option;
 *   `E_SHAPE_MISMATCH` for a kept index outside the grid or a malformed image
 * @example
 * ```ts
 * const shown = overlayPixels(image, selection.kept, { rows: 24, cols: 24 }, { dim: 0.2 });
 * ```
 */
export function overlayPixels(image: RgbImage, kept: ArrayLike<number>, grid: TokenGrid, options: OverlayStyle = {}): RgbImage {
  const mask = keptMask('overlayPixels', kept, grid);
  const opts = checkOverlayOptions('overlayPixels', options);
  assertRgbImage('overlayPixels', image);
  return paint(image, mask, grid, opts);
}

/** Draws the overlay of a checked image and mask. */
export function paint(img: RgbImage, mask: Uint8Array, grid: TokenGrid, opts: { dim: number; outline: readonly number[] | null; width: number | undefined }): RgbImage {
  const { width: W, height: H } = img;
  const xEdges = bandEdges(W, grid.cols);
  const yEdges = bandEdges(H, grid.rows);
  const colOf = bandOf(xEdges, W);
  const rowOf = bandOf(yEdges, H);
  const t = opts.width ?? Math.max(1, Math.round(Math.min(W, H) / 512));
  const out = new Uint8Array(W * H * 3);
  const src = img.data;
  for (let y = 0; y < H; y++) {
    const r = rowOf[y]!;
    const onRowEdge = y - yEdges[r]! < t || yEdges[r + 1]! - 1 - y < t;
    for (let x = 0; x < W; x++) {
      const c = colOf[x]!;
      const p = 3 * (y * W + x);
      if (mask[r * grid.cols + c]) {
        const onEdge = onRowEdge || x - xEdges[c]! < t || xEdges[c + 1]! - 1 - x < t;
        if (onEdge && opts.outline !== null) {
          out[p] = opts.outline[0]!;
          out[p + 1] = opts.outline[1]!;
          out[p + 2] = opts.outline[2]!;
        } else {
          out[p] = src[p]!;
          out[p + 1] = src[p + 1]!;
          out[p + 2] = src[p + 2]!;
        }
      } else {
        out[p] = Math.round(src[p]! * opts.dim);
        out[p + 1] = Math.round(src[p + 1]! * opts.dim);
        out[p + 2] = Math.round(src[p + 2]! * opts.dim);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * RGBA pixels, the layout of a canvas `ImageData`: `new ImageData(p.data, p.width, p.height)` or
 * `ctx.putImageData(...)` take them as they are.
 */
export interface RgbaImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `[height, width, 4]` RGBA bytes, alpha 255. */
  readonly data: Uint8ClampedArray;
}

/**
 * Converts RGB pixels to opaque RGBA, the layout of a canvas `ImageData`.
 *
 * @param image - `[height, width, 3]`
 * @returns `[height, width, 4]`, alpha 255
 * @throws {@link @resprune/errors!ResPruneError} `E_SHAPE_MISMATCH` or `E_IMAGE_SIZE` for a malformed image
 * @example
 * ```ts
 * const { data, width, height } = toRgba(overlayPixels(image, kept, grid));
 * ctx.putImageData(new ImageData(data, width, height), 0, 0);
 * ```
 */
export function toRgba(image: RgbImage): RgbaImage {
  assertRgbImage('toRgba', image);
  const n = image.width * image.height;
  const out = new Uint8ClampedArray(n * 4);
  const src = image.data;
  for (let p = 0, q = 0; p < n * 3; p += 3, q += 4) {
    out[q] = src[p]!;
    out[q + 1] = src[p + 1]!;
    out[q + 2] = src[p + 2]!;
    out[q + 3] = 255;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * The part of a 2D canvas context that {@link drawOverlay} uses (a browser `CanvasRenderingContext2D`
 * or `OffscreenCanvasRenderingContext2D`, or node-canvas's), declared structurally so the types need
 * no DOM library.
 */
export interface Canvas2DLike<I extends { readonly data: Uint8ClampedArray } = { readonly data: Uint8ClampedArray }> {
  /** Makes a blank `ImageData` of the given size. */
  createImageData(width: number, height: number): I;
  /** Draws an `ImageData` at (dx, dy). */
  putImageData(imageData: I, dx: number, dy: number): void;
}

/**
 * Draws the overlay of {@link overlayPixels} onto a 2D canvas context at (0, 0), at the image's
 * size (size the canvas to `image.width × image.height`, and scale it with CSS).
 *
 * @param ctx - a 2D context, e.g. `canvas.getContext('2d')`
 * @param image - the decoded image
 * @param kept - kept token indices (`r * cols + c`), any order
 * @param grid - the token grid
 * @param options - dimming, outline colour and width
 * @throws {@link @resprune/errors!ResPruneError} as {@link overlayPixels}
 * @example
 * ```ts
 * const canvas = document.querySelector('canvas')!;
 * canvas.width = image.width;
 * canvas.height = image.height;
 * drawOverlay(canvas.getContext('2d')!, image, selection.kept, { rows: 24, cols: 24 });
 * ```
 */
export function drawOverlay<I extends { readonly data: Uint8ClampedArray }>(
  ctx: Canvas2DLike<I>,
  image: RgbImage,
  kept: ArrayLike<number>,
  grid: TokenGrid,
  options: OverlayStyle = {},
): void {
  const rgba = toRgba(overlayPixels(image, kept, grid, options));
  const target = ctx.createImageData(rgba.width, rgba.height);
  target.data.set(rgba.data);
  ctx.putImageData(target, 0, 0);
}
