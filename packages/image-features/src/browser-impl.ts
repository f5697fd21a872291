/** The browser implementations of decoding and PNG encoding, on createImageBitmap and a 2D canvas. */
import { ResPruneError, isResPruneError } from '@resprune/errors';
import type * as NodeEntry from './index.js';
import { assertRgbImage, checkMaxPixels, checkMaxSide, checkPixelCount, describe, fitInside, isBlobLike, isRgbImage, rgbaToRgb, type DecodeOptions, type ImageSource, type RgbImage } from './image.js';
import { checkOverlayOptions, keptMask, paint, toRgba, type OverlayOptions, type TokenGrid } from './overlay.js';

/*
 * The few browser APIs used here, declared structurally (no DOM library in the type-check, which
 * would clash with Node's types elsewhere in the repo), and read from globalThis so a missing one
 * gives a typed error instead of a ReferenceError.
 */
interface Context2D {
  fillStyle: string;
  imageSmoothingQuality: string;
  fillRect(x: number, y: number, width: number, height: number): void;
  drawImage(image: unknown, dx: number, dy: number, dw: number, dh: number): void;
  getImageData(x: number, y: number, width: number, height: number): { readonly data: Uint8ClampedArray };
  createImageData(width: number, height: number): { readonly data: Uint8ClampedArray };
  putImageData(imageData: unknown, dx: number, dy: number): void;
}
interface AnyCanvas {
  width: number;
  height: number;
  getContext(id: '2d', options?: { willReadFrequently?: boolean }): Context2D | null;
  /** OffscreenCanvas */
  convertToBlob?(options: { type: string }): Promise<Blob>;
  /** HTMLCanvasElement */
  toBlob?(callback: (blob: Blob | null) => void, type: string): void;
}
interface Bitmap {
  readonly width: number;
  readonly height: number;
  close(): void;
}
interface BrowserGlobals {
  OffscreenCanvas?: new (width: number, height: number) => AnyCanvas;
  document?: { createElement(tag: 'canvas'): AnyCanvas };
  createImageBitmap?: (image: Blob, options: { imageOrientation: 'from-image' }) => Promise<Bitmap>;
}
const web = globalThis as unknown as BrowserGlobals;

/** A 2D canvas of the given size: an OffscreenCanvas where there is one (workers, modern browsers), else a DOM canvas. */
function canvas2d(op: string, width: number, height: number): { canvas: AnyCanvas; ctx: Context2D } {
  let canvas: AnyCanvas | undefined;
  if (web.OffscreenCanvas !== undefined) canvas = new web.OffscreenCanvas(width, height);
  else if (web.document !== undefined) {
    canvas = web.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas?.getContext('2d', { willReadFrequently: true });
  if (canvas === undefined || ctx == null) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: this environment has no 2D canvas (OffscreenCanvas or document) to read and write pixels with`);
  }
  return { canvas, ctx };
}

async function toBlob(op: string, input: ImageSource): Promise<Blob> {
  if (typeof input === 'string') {
    let response: Response;
    try {
      response = await fetch(input);
    } catch (cause) {
      throw new ResPruneError('E_FILE_NOT_FOUND', `${op}: cannot fetch '${input}'`, { cause, details: { path: input } });
    }
    if (!response.ok) {
      throw new ResPruneError(response.status === 404 ? 'E_FILE_NOT_FOUND' : 'E_IMAGE_DECODE', `${op}: fetching '${input}' answered ${response.status} ${response.statusText}`, {
        details: { path: input },
      });
    }
    return response.blob();
  }
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return new Blob([input as Uint8Array<ArrayBuffer>]);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return input;
  if (isBlobLike(input)) return new Blob([await input.arrayBuffer()], { type: input.type });
  throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a URL, a Uint8Array or ArrayBuffer of encoded image bytes, or a Blob; got ${describe(input)}`);
}

/** Browser twin of the Node `decodeImage` (same signature; documented there). */
export const decodeImage: typeof NodeEntry.decodeImage = async (input: ImageSource, options: DecodeOptions = {}): Promise<RgbImage> => {
  const op = 'decodeImage';
  const maxSide = checkMaxSide(op, options.maxSide);
  const maxPixels = checkMaxPixels(op, options.maxPixels);
  const label = typeof input === 'string' ? `'${input}'` : 'the given bytes';
  const blob = await toBlob(op, input);
  if (blob.size === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the image bytes are empty`);
  if (web.createImageBitmap === undefined) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: this environment has no createImageBitmap to decode images with`);
  }
  let bitmap: Bitmap;
  try {
    bitmap = await web.createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (cause) {
    const type = blob.type === '' ? '' : ` (type ${blob.type})`;
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is not an image this browser can decode${type}`, { cause });
  }
  try {
    if (bitmap.width === 0 || bitmap.height === 0) {
      throw new ResPruneError('E_IMAGE_SIZE', `${op}: ${label} is empty (${bitmap.width}×${bitmap.height})`);
    }
    checkPixelCount(op, label, bitmap.width, bitmap.height, maxPixels);
    const { width, height } = fitInside(bitmap.width, bitmap.height, maxSide);
    const { ctx } = canvas2d(op, width, height);
    ctx.fillStyle = '#ffffff'; // transparency flattened onto white, as in Node
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    return { width, height, data: rgbaToRgb(ctx.getImageData(0, 0, width, height).data, width, height) };
  } catch (cause) {
    if (isResPruneError(cause)) throw cause;
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} could not be drawn to a canvas`, { cause });
  } finally {
    bitmap.close();
  }
};

/**
 * Browser twin of the Node `readImageHeader` (same signature; documented there). Browsers expose no header reader,
 * so the size comes from `createImageBitmap` (after EXIF orientation) and the format from the Blob's type.
 */
export const readImageHeader: typeof NodeEntry.readImageHeader = async (input, options = {}) => {
  const op = 'readImageHeader';
  const maxPixels = checkMaxPixels(op, options.maxPixels);
  const label = typeof input === 'string' ? `'${input}'` : 'the given bytes';
  const blob = await toBlob(op, input);
  if (blob.size === 0) throw new ResPruneError('E_IMAGE_DECODE', `${op}: expected a file path or non-empty encoded image bytes`);
  if (web.createImageBitmap === undefined) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: this environment has no createImageBitmap to read images with`);
  }
  let bitmap: Bitmap;
  try {
    bitmap = await web.createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (cause) {
    throw new ResPruneError('E_IMAGE_DECODE', `${op}: ${label} is not an image this browser can decode`, { cause });
  }
  try {
    checkPixelCount(op, label, bitmap.width, bitmap.height, maxPixels);
    return { width: bitmap.width, height: bitmap.height, format: blob.type.replace(/^image\//, '') || 'unknown' };
  } finally {
    bitmap.close();
  }
};

function putRgb(op: string, image: RgbImage): { canvas: AnyCanvas; ctx: Context2D } {
  const c = canvas2d(op, image.width, image.height);
  const rgba = toRgba(image);
  const target = c.ctx.createImageData(image.width, image.height);
  target.data.set(rgba.data);
  c.ctx.putImageData(target, 0, 0);
  return c;
}

/** Browser twin of the Node `renderOverlay` (same signature; documented there). */
export const renderOverlay: typeof NodeEntry.renderOverlay = async (
  image: RgbImage | ImageSource,
  kept: ArrayLike<number>,
  grid: TokenGrid,
  options: OverlayOptions = {},
): Promise<Uint8Array> => {
  const op = 'renderOverlay';
  const mask = keptMask(op, kept, grid);
  const opts = checkOverlayOptions(op, options);
  let img = isRgbImage(image) ? image : await decodeImage(image);
  assertRgbImage(op, img);
  if (opts.maxSide !== undefined && Math.max(img.width, img.height) > opts.maxSide) {
    const { width, height } = fitInside(img.width, img.height, opts.maxSide);
    const source = putRgb(op, img);
    const { ctx } = canvas2d(op, width, height);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source.canvas, 0, 0, width, height);
    img = { width, height, data: rgbaToRgb(ctx.getImageData(0, 0, width, height).data, width, height) };
  }
  const { canvas } = putRgb(op, paint(img, mask, grid, opts));
  const blob =
    canvas.convertToBlob !== undefined
      ? await canvas.convertToBlob({ type: 'image/png' })
      : await new Promise<Blob | null>((resolve) => canvas.toBlob?.(resolve, 'image/png') ?? resolve(null));
  if (blob === null) throw new ResPruneError('E_IMAGE_DECODE', `${op}: the canvas could not be encoded as PNG`);
  return new Uint8Array(await blob.arrayBuffer());
};
