import { describe, expect, it } from 'vitest';
import { assertTokenCount, layoutToJson, tokenInfo } from '../src/index.js';
import { thrown } from './errors.js';
import { mropeAdapter, tilesAdapter } from './toy.js';

describe('layouts', () => {
  it('place views one after the other and list newline indices', () => {
    const layout = tilesAdapter.layout({ width: 640, height: 480 });
    expect(layout.tokens).toBe(19);
    expect(layout.views.map((v) => [v.name, v.start, v.length])).toEqual([
      ['base', 0, 4],
      ['crops', 4, 15],
    ]);
    expect(layout.newlines).toEqual([8, 13, 18]);
    expect(layoutToJson(layout)).toEqual({
      backbone: 'toy-tiles',
      modelType: 'toy_tiles',
      tokens: 19,
      views: [
        { rows: 2, cols: 2, start: 0, length: 4 },
        { rows: 3, cols: 4, start: 4, length: 15 },
      ],
      newlines: [8, 13, 18],
      images: [{ width: 640, height: 480, start: 0, length: 19, views: ['base', 'crops'] }],
    });
  });

  it('describe each token: view, row, column, newline and crop', () => {
    const layout = tilesAdapter.layout({ width: 640, height: 480 });
    expect(tokenInfo(layout, 3)).toEqual({ image: 0, view: 0, row: 1, col: 1, newline: false, crop: undefined });
    const crops = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map((i) => tokenInfo(layout, i).crop);
    // row 0 lies in crop row 0 (one padding row removed), rows 1-2 in crop row 1; newlines take the last column's crop
    expect(crops).toEqual([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 2, 2, 3, 3, 3]);
    expect(tokenInfo(layout, 13)).toMatchObject({ row: 1, col: 4, newline: true });
    thrown(() => tokenInfo(layout, 19), 'E_INVALID_OPTION');
    thrown(() => tokenInfo(layout, -1), 'E_INVALID_OPTION');
  });

  it('concatenate several images, in order', () => {
    const layout = mropeAdapter.layout([{ width: 84, height: 56 }, { width: 28, height: 28 }, { width: 100, height: 30 }]);
    expect(layout.images.map((i) => [i.start, i.length])).toEqual([[0, 6], [6, 1], [7, 8]]);
    expect(layout.views.map((v) => [v.image, v.rows, v.cols])).toEqual([[0, 2, 3], [1, 1, 1], [2, 2, 4]]);
    expect(layout.images[2]!.details).toEqual({ resized: { width: 112, height: 56 } });
    expect(tokenInfo(layout, 10)).toMatchObject({ image: 2, view: 2, row: 0, col: 3 });
  });

  it('reject empty image lists and bad sizes', () => {
    thrown(() => mropeAdapter.layout([]), 'E_EMPTY_INPUT');
    expect(thrown(() => mropeAdapter.layout([{ width: 10, height: 10 }, { width: 0, height: 10 }]), 'E_IMAGE_SIZE').message).toContain(
      'image 1',
    );
  });

  it('check a visual token matrix against the layout', () => {
    const layout = tilesAdapter.layout({ width: 640, height: 480 });
    expect(() => assertTokenCount(layout, 19)).not.toThrow();
    expect(thrown(() => assertTokenCount(layout, 576), 'E_SHAPE_MISMATCH').message).toBe(
      'visual tokens have 576 rows but toy-tiles lays out 19 tokens for 640x480; check the image size and the config',
    );
  });
});
