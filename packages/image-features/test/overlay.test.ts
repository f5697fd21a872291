import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@resprune/test-backends';
import { asciiGrid, decodeImage, renderOverlay, type RgbImage } from '../src/index.js';
import { expectError, expectRejection } from './helpers.js';

let dog: RgbImage;
beforeAll(async () => {
  dog = await decodeImage(sharedPath('images', 'dog.jpg')); // 768×576
});

const pixel = (img: RgbImage, x: number, y: number): number[] => Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));

describe('asciiGrid', () => {
  it('one character per token, one line per row', () => {
    expect(asciiGrid([0, 3], { rows: 2, cols: 2 })).toBe('█·\n·█');
    expect(asciiGrid([1, 1, 5], { rows: 2, cols: 3 }, { kept: '#', dropped: '.' })).toBe('.#.\n..#');
    expect(asciiGrid([], { rows: 1, cols: 3 })).toBe('···');
    const g = asciiGrid(Array.from({ length: 128 }, (_, i) => i * 4), { rows: 24, cols: 24 });
    const lines = g.split('\n');
    expect(lines).toHaveLength(24);
    expect(lines.every((l) => [...l].length === 24)).toBe(true);
    expect([...g].filter((ch) => ch === '█')).toHaveLength(128);
  });

  it('rejects a bad grid or indices outside it', () => {
    expectError(() => asciiGrid([0], { rows: 0, cols: 2 }), 'E_INVALID_OPTION', /positive integers, got 0×2/);
    expectError(() => asciiGrid([0], { rows: 2.5, cols: 2 }), 'E_INVALID_OPTION', /positive integers/);
    expectError(() => asciiGrid([0], null as unknown as { rows: number; cols: number }), 'E_INVALID_OPTION', /grid must be/);
    expectError(() => asciiGrid([4], { rows: 2, cols: 2 }), 'E_SHAPE_MISMATCH', /kept\[0\] = 4 is not a token index of the 2×2 grid \(integers 0\.\.3\)/);
    expectError(() => asciiGrid([0, -1], { rows: 2, cols: 2 }), 'E_SHAPE_MISMATCH', /kept\[1\] = -1/);
    expectError(() => asciiGrid([NaN], { rows: 2, cols: 2 }), 'E_SHAPE_MISMATCH', /NaN/);
    expectError(() => asciiGrid(5 as unknown as number[], { rows: 2, cols: 2 }), 'E_INVALID_OPTION', /array of token indices/);
  });
});

describe('renderOverlay', () => {
  it('returns a PNG of the image size: kept cells bright and outlined, dropped cells dimmed', async () => {
    const grid = { rows: 24, cols: 24 };
    const kept = [0, 25, 300]; // cells (0,0), (1,1), (12,12); each cell is 32×24 px here
    const png = await renderOverlay(dog, kept, grid);
    expect(Buffer.from(png.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 768, 576]);
    const out = await decodeImage(png);
    // Inside kept cell (12,12): x 384..415, y 288..311; its centre is untouched.
    expect(pixel(out, 400, 300)).toEqual(pixel(dog, 400, 300));
    // Its border is the amber outline (width 1 at this size).
    expect(pixel(out, 384, 300)).toEqual([255, 196, 0]);
    expect(pixel(out, 400, 311)).toEqual([255, 196, 0]);
    expect(pixel(out, 385, 300)).toEqual(pixel(dog, 385, 300));
    // A dropped cell is dimmed to 30 %.
    expect(pixel(out, 600, 500)).toEqual(pixel(dog, 600, 500).map((v) => Math.round(v * 0.3)));
  });

  it('honours dim, outline and outlineWidth, and maxSide downscales', async () => {
    const out = await decodeImage(
      await renderOverlay(dog, [300], { rows: 24, cols: 24 }, { dim: 0, outline: [0, 255, 0], outlineWidth: 3 }),
    );
    expect(pixel(out, 10, 10)).toEqual([0, 0, 0]);
    expect(pixel(out, 386, 300)).toEqual([0, 255, 0]);
    expect(pixel(out, 387, 300)).toEqual(pixel(dog, 387, 300));
    const plain = await decodeImage(await renderOverlay(dog, [300], { rows: 24, cols: 24 }, { outline: null, dim: 1 }));
    expect(Buffer.from(plain.data).equals(Buffer.from(dog.data))).toBe(true);
    const small = await sharp(await renderOverlay(dog, [0], { rows: 24, cols: 24 }, { maxSide: 384 })).metadata();
    expect([small.width, small.height]).toEqual([384, 288]);
  });

  it('accepts a path or encoded bytes as well as decoded pixels', async () => {
    const path = sharedPath('images', 'chelsea.png');
    const a = await sharp(await renderOverlay(path, [1, 2], { rows: 4, cols: 4 })).metadata();
    expect([a.width, a.height]).toEqual([451, 300]);
    const b = await renderOverlay(new Uint8Array(readFileSync(path)), [1, 2], { rows: 4, cols: 4 });
    expect(Buffer.from(b).equals(Buffer.from(await renderOverlay(path, [1, 2], { rows: 4, cols: 4 })))).toBe(true);
  });

  it('rejects bad indices, grids, options and images with typed errors', async () => {
    const grid = { rows: 24, cols: 24 };
    await expectRejection(renderOverlay(dog, [576], grid), 'E_SHAPE_MISMATCH', /kept\[0\] = 576 is not a token index of the 24×24 grid/);
    await expectRejection(renderOverlay(dog, [1.5], grid), 'E_SHAPE_MISMATCH', /1\.5/);
    await expectRejection(renderOverlay(dog, [0], { rows: -1, cols: 24 }), 'E_INVALID_OPTION', /positive integers/);
    await expectRejection(renderOverlay(dog, [0], grid, { dim: 2 }), 'E_INVALID_OPTION', /dim must be in \[0, 1\], got 2/);
    await expectRejection(renderOverlay(dog, [0], grid, { dim: NaN }), 'E_INVALID_OPTION', /dim/);
    await expectRejection(
      renderOverlay(dog, [0], grid, { outline: [300, 0, 0] }),
      'E_INVALID_OPTION',
      /outline must be \[r, g, b\] with integers 0-255/,
    );
    await expectRejection(renderOverlay(dog, [0], grid, { outlineWidth: -1 }), 'E_INVALID_OPTION', /outlineWidth/);
    await expectRejection(renderOverlay(dog, [0], grid, { maxSide: 0 }), 'E_INVALID_OPTION', /maxSide/);
    await expectRejection(renderOverlay({ width: 4, height: 4, data: new Uint8Array(3) }, [0], grid), 'E_SHAPE_MISMATCH', /needs 48 bytes, got 3/);
    await expectRejection(renderOverlay('/nonexistent/photo.jpg', [0], grid), 'E_FILE_NOT_FOUND', /no such file/);
    await expectRejection(renderOverlay(new Uint8Array([1, 2, 3]), [0], grid), 'E_IMAGE_DECODE', /not a readable image/);
  });
});
