// Two small hand-checkable backbones used by the tests of this package.
import {
  createAdapter,
  defineBackbone,
  readInt,
  type BackboneSpec,
  type HfConfigLike,
} from '../src/index.js';

/**
 * toy-tiles: a 2×2 base view, then a 3×4 grid with a newline after each row, made of 2×2 crops of
 * 2×2 tokens of which one padding row was removed at the top. 19 tokens for any image size:
 *
 *   base   0 1 / 2 3
 *   crops  4 5 6 7 [8] / 9 10 11 12 [13] / 14 15 16 17 [18]
 *   crop of (r, c) = floor((r + 1) / 2) * 2 + floor(c / 2)
 */
export const toyTiles: BackboneSpec<{ side: number }> = defineBackbone({
  id: 'toy-tiles',
  modelTypes: ['toy_tiles'],
  package: '@example/toy',
  parseConfig: (raw: HfConfigLike) => ({ side: readInt(raw, 'side') }),
  create: ({ side }) =>
    createAdapter({
      id: 'toy-tiles',
      modelType: 'toy_tiles',
      positionScheme: 'sequential',
      imageTokenId: 7,
      imageLayout: () => ({
        views: [
          { name: 'base', rows: side, cols: side },
          {
            name: 'crops',
            rows: 3,
            cols: 4,
            newlineAfterRow: true,
            crops: { rows: 2, cols: 2, cropRows: 2, cropCols: 2, offsetRow: 1, offsetCol: 0 },
          },
        ],
      }),
    }),
});

/** toy-mrope: one view of ceil(h/28) × ceil(w/28) tokens, M-RoPE positions. */
export const toyMrope: BackboneSpec<Record<string, never>> = defineBackbone({
  id: 'toy-mrope',
  modelTypes: ['toy_mrope'],
  parseConfig: () => ({}),
  create: () =>
    createAdapter({
      id: 'toy-mrope',
      modelType: 'toy_mrope',
      positionScheme: 'mrope',
      imageLayout: ({ width, height }) => ({
        views: [{ name: 'image', rows: Math.ceil(height / 28), cols: Math.ceil(width / 28) }],
        details: { resized: { width: Math.ceil(width / 28) * 28, height: Math.ceil(height / 28) * 28 } },
      }),
    }),
});

export const tilesAdapter = toyTiles.create({ side: 2 });
export const mropeAdapter = toyMrope.create({});
