import { describe, expect, it } from 'vitest';
import { drawOverlay, overlayPixels, toRgba, type RgbImage } from '../src/index.js';
import { expectError } from './helpers.js';

/** A 4×2 image whose pixel (x, y) is [10x + y, 100, 200]. */
const image: RgbImage = {
  width: 4,
  height: 2,
  data: Uint8Array.from({ length: 24 }, (_, i) => {
    const p = Math.floor(i / 3);
    const x = p % 4;
    const y = Math.floor(p / 4);
    return [10 * x + y, 100, 200][i % 3]!;
  }),
};
const px = (img: { width: number; data: ArrayLike<number> }, x: number, y: number, channels = 3): number[] =>
  Array.from({ length: channels }, (_, c) => img.data[channels * (y * img.width + x) + c]!);

describe('overlayPixels', () => {
  it('keeps the pixels of kept cells, dims the others, and outlines kept cells', () => {
    // 1×2 grid over a 4×2 image: left cell = x 0-1 (kept), right cell = x 2-3 (dropped).
    const plain = overlayPixels(image, [0], { rows: 1, cols: 2 }, { outline: null, dim: 0.5 });
    expect([plain.width, plain.height]).toEqual([4, 2]);
    expect(px(plain, 0, 0)).toEqual([0, 100, 200]);
    expect(px(plain, 1, 1)).toEqual([11, 100, 200]);
    expect(px(plain, 2, 0)).toEqual([10, 50, 100]);
    expect(px(plain, 3, 1)).toEqual([16, 50, 100]); // round(31 * 0.5) = 16 (15.5 rounds up)
    const outlined = overlayPixels(image, [0], { rows: 1, cols: 2 }, { outline: [1, 2, 3], outlineWidth: 1, dim: 0 });
    expect(px(outlined, 0, 0)).toEqual([1, 2, 3]); // every pixel of a 2×2 cell is on its 1 px edge
    expect(px(outlined, 3, 1)).toEqual([0, 0, 0]);
    // The input is not modified.
    expect(px(image, 0, 0)).toEqual([0, 100, 200]);
  });

  it('rejects bad options, indices and images like renderOverlay', () => {
    expectError(() => overlayPixels(image, [2], { rows: 1, cols: 2 }), 'E_SHAPE_MISMATCH', /kept\[0\] = 2/);
    expectError(() => overlayPixels(image, [0], { rows: 1, cols: 2 }, { dim: 2 }), 'E_INVALID_OPTION', /overlayPixels: dim must be in \[0, 1\]/);
    expectError(() => overlayPixels({ width: 4, height: 2, data: new Uint8Array(5) }, [0], { rows: 1, cols: 2 }), 'E_SHAPE_MISMATCH', /needs 24 bytes/);
  });
});

describe('toRgba and drawOverlay', () => {
  it('toRgba gives opaque ImageData-layout pixels', () => {
    const rgba = toRgba(image);
    expect(rgba.data).toBeInstanceOf(Uint8ClampedArray);
    expect(rgba.data.length).toBe(4 * 2 * 4);
    expect(px(rgba, 3, 1, 4)).toEqual([31, 100, 200, 255]);
    expectError(() => toRgba({ width: 0, height: 2, data: new Uint8Array(0) }), 'E_IMAGE_SIZE', /positive integers/);
  });

  it('drawOverlay puts the overlay pixels on a 2D context at (0, 0)', () => {
    const calls: [number, number, number, number][] = [];
    let drawn: Uint8ClampedArray | undefined;
    const ctx = {
      createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: (img: { width: number; height: number; data: Uint8ClampedArray }, dx: number, dy: number) => {
        calls.push([img.width, img.height, dx, dy]);
        drawn = img.data;
      },
    };
    drawOverlay(ctx, image, [1], { rows: 1, cols: 2 }, { outline: null, dim: 0 });
    expect(calls).toEqual([[4, 2, 0, 0]]);
    expect(Array.from(drawn!)).toEqual(Array.from(toRgba(overlayPixels(image, [1], { rows: 1, cols: 2 }, { outline: null, dim: 0 })).data));
    expect(px({ width: 4, data: drawn! }, 0, 0, 4)).toEqual([0, 0, 0, 255]);
    expect(px({ width: 4, data: drawn! }, 3, 0, 4)).toEqual([30, 100, 200, 255]);
  });
});
