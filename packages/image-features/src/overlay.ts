import { ResPruneError } from '@resprune/errors';
import { assertRgbImage, decodeImage, loadSharp, type RgbImage } from './image.js';

/** A token grid: `rows × cols` cells, token `r * cols + c` covering row r, column c. */
export interface TokenGrid {
  /** Number of grid rows. */
  readonly rows: number;
  /** Number of grid columns. */
  readonly cols: number;
}

/** Options of {@link renderOverlay}. */
export interface OverlayOptions {
  /** Brightness factor of dropped cells, in [0, 1]; 0 is black, 1 leaves them unchanged. Default 0.3. */
  readonly dim?: number;
  /** Outline colour of kept cells as `[r, g, b]` (0–255), or `null` for no outline. Default amber `[255, 196, 0]`. */
  readonly outline?: readonly [number, number, number] | null;
  /** Outline thickness in output pixels, a non-negative integer. Default: 1 per 512 px of the shorter side, at least 1. */
  readonly outlineWidth?: number;
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
function keptMask(op: string, kept: ArrayLike<number>, grid: TokenGrid): Uint8Array {
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

function checkOptions(options: OverlayOptions): { dim: number; outline: readonly number[] | null; width: number | undefined; maxSide: number | undefined } {
  const dim = options.dim ?? 0.3;
  if (!(dim >= 0 && dim <= 1)) throw new ResPruneError('E_INVALID_OPTION', `renderOverlay: dim must be in [0, 1], got ${dim}`);
  const outline = options.outline === undefined ? [255, 196, 0] : options.outline;
  if (outline !== null && (!Array.isArray(outline) || outline.length !== 3 || outline.some((v) => !Number.isInteger(v) || v < 0 || v > 255))) {
    throw new ResPruneError('E_INVALID_OPTION', `renderOverlay: outline must be [r, g, b] with integers 0-255, or null; got ${JSON.stringify(outline)}`);
  }
  const width = options.outlineWidth;
  if (width !== undefined && (!Number.isInteger(width) || width < 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `renderOverlay: outlineWidth must be a non-negative integer, got ${width}`);
  }
  const maxSide = options.maxSide;
  if (maxSide !== undefined && (!Number.isInteger(maxSide) || maxSide <= 0)) {
    throw new ResPruneError('E_INVALID_OPTION', `renderOverlay: maxSide must be a positive integer, got ${maxSide}`);
  }
  return { dim, outline, width, maxSide };
}

/**
 * Draws which tokens were kept on top of the image and encodes it as PNG: kept grid cells keep
 * their pixels and get a thin outline, dropped cells are dimmed. The grid is laid over the whole
 * image (tokens come from the image resized to a square, so cells follow the image's aspect ratio).
 * Node only (encodes with sharp).
 *
 * @param image - a decoded image, or a path or encoded bytes for {@link decodeImage}
 * @param kept - kept token indices (`r * cols + c`), any order
 * @param grid - the token grid, e.g. `{ rows: 24, cols: 24 }`
 * @param options - dimming, outline colour and width, maximum side
 * @returns PNG file bytes, the image's size (or smaller with `maxSide`)
 * @throws {@link @resprune/errors!ResPruneError} `E_INVALID_OPTION` for a bad grid or option;
 *   `E_SHAPE_MISMATCH` for a kept index outside the grid or a malformed image; the errors of
 *   {@link decodeImage} for a path or bytes
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * const png = await renderOverlay(img, selection.kept, { rows: 24, cols: 24 });
 * await writeFile('dog-kept.png', png);
 * ```
 */
export async function renderOverlay(
  image: RgbImage | string | Uint8Array,
  kept: ArrayLike<number>,
  grid: TokenGrid,
  options: OverlayOptions = {},
): Promise<Uint8Array> {
  const mask = keptMask('renderOverlay', kept, grid);
  const opts = checkOptions(options);
  let img = typeof image === 'string' || image instanceof Uint8Array ? await decodeImage(image) : image;
  assertRgbImage('renderOverlay', img);
  const sharp = await loadSharp('renderOverlay');
  if (opts.maxSide !== undefined && Math.max(img.width, img.height) > opts.maxSide) {
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize({ width: opts.maxSide, height: opts.maxSide, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    img = { width: info.width, height: info.height, data: new Uint8Array(data) };
  }
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
  const png = await sharp(out, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png);
}
