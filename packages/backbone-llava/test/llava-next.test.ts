import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry, compact, planBudget, promptFromInputIds, tokenInfo, type BudgetPlan } from '@resprune/backbones';
import { describeBackboneConformance } from '@resprune/backbones/testing';
import { llavaNext, llavaNextGeometry, parseLlavaNextConfig, selectBestResolution, truncAfterRound7, unpaddedGrid } from '../src/index.js';
import { llavaNextConfig, llavaNextPreprocessor } from './fixtures.js';
import { hfLlavaNextTokens, randomSizes } from './reference.js';

const adapter = new BackboneRegistry().register(llavaNext).fromConfig(llavaNextConfig, llavaNextPreprocessor);
const PINPOINTS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]] as const;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isResPruneError(e) ? `${e.code}: ${e.message}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

const keeps = (plan: BudgetPlan): Array<[string, number, number]> =>
  plan.units.map((u) => [u.label, u.candidates.length, (u.budget as { keep: number }).keep]);

describe('LLaVA-NeXT geometry (transformers formulas)', () => {
  it('reads the published config', () => {
    expect(parseLlavaNextConfig(llavaNextConfig, llavaNextPreprocessor)).toEqual({
      patchSize: 14,
      tileSize: 336,
      pinpoints: PINPOINTS,
      imageTokenId: 32000,
    });
  });

  it('selects the grid resolution like select_best_resolution', () => {
    // 1100×808 fits 672×672 with 672×493 effective pixels, more than any other pinpoint
    expect(selectBestResolution({ width: 1100, height: 808 }, PINPOINTS)).toEqual({ height: 672, width: 672 });
    // a square 336 image: 336×672 and 672×336 tie on effective and wasted area; the first wins
    expect(selectBestResolution({ width: 336, height: 336 }, PINPOINTS)).toEqual({ height: 336, width: 672 });
    expect(selectBestResolution({ width: 300, height: 1000 }, PINPOINTS)).toEqual({ height: 1008, width: 336 });
    expect(selectBestResolution({ width: 2000, height: 500 }, PINPOINTS)).toEqual({ height: 336, width: 1008 });
  });

  it('unpads with Python int(round(x, 7))', () => {
    expect(truncAfterRound7(35.2581)).toBe(35);
    expect(truncAfterRound7(47.99999997)).toBe(48);
    expect(truncAfterRound7(47.9999999)).toBe(47);
    expect(truncAfterRound7(0)).toBe(0);
    // 1100×808 on a 48×48 grid: new rows = int(round(808 · 48/1100, 7)) = 35, pad (48 − 35) // 2 = 6
    expect(unpaddedGrid({ width: 1100, height: 808 }, 48, 48)).toEqual({ rows: 36, cols: 48, top: 6, left: 0 });
    // same aspect ratio as the grid: nothing removed
    expect(unpaddedGrid({ width: 336, height: 1008 }, 72, 24)).toEqual({ rows: 72, cols: 24, top: 0, left: 0 });
  });

  it('counts 1100×808 by hand: 576 base + 36 rows × (48 + 1) = 2340', () => {
    expect(llavaNextGeometry(parseLlavaNextConfig(llavaNextConfig), { width: 1100, height: 808 })).toEqual({
      bestResolution: { height: 672, width: 672 },
      crops: { rows: 2, cols: 2 },
      side: 24,
      unpadded: { rows: 36, cols: 48, top: 6, left: 0 },
      tokens: 2340,
    });
  });

  it('matches the processor count on square, wide, tall, tiny and huge images', () => {
    const named = [
      [336, 336, 1176],
      [672, 672, 2928],
      [1008, 1008, 2928],
      [1100, 808, 2340],
      [808, 1100, 2352], // 48 rows × (36 + 1): the unpadding removes columns
      [336, 1008, 2376],
      [1008, 336, 2328], // 1×3 crops, same aspect ratio: 24 × (72 + 1)
      [1, 1, 1176],
      [2, 3, 984], // 1×2 crops, 16 of 48 columns stay
      [4000, 20, 576],
      [20, 4000, 648],
      [20000, 15000, 2340],
    ] as const;
    for (const [w, h, expected] of named) {
      expect(hfLlavaNextTokens(w, h, PINPOINTS)).toBe(expected);
      expect(adapter.imageTokenCount({ width: w, height: h }), `${w}x${h}`).toBe(expected);
    }
  });

  it('matches the processor count on 3000 sizes from 1 to 10000 px', () => {
    for (const size of randomSizes(3000, 10000, 7)) {
      expect(adapter.imageTokenCount(size), `${size.width}x${size.height}`).toBe(hfLlavaNextTokens(size.width, size.height, PINPOINTS));
    }
  });

  it('matches with other pinpoint lists (larger grids)', () => {
    const pinpoints = [[336, 336], [336, 1344], [1344, 336], [672, 1008], [1008, 672], [1008, 1008]] as const;
    const custom = llavaNext.create(parseLlavaNextConfig({ ...llavaNextConfig, image_grid_pinpoints: pinpoints }));
    for (const size of randomSizes(500, 6000, 99)) {
      expect(custom.imageTokenCount(size)).toBe(hfLlavaNextTokens(size.width, size.height, pinpoints));
    }
  });
});

describe('LLaVA-NeXT with a SigLIP tower (e.g. Granite Vision: 384-px crops, "full")', () => {
  it('counts 27×27 patches per crop, no CLS, and matches the processor formula', () => {
    const pinpoints = [[384, 384], [384, 768], [768, 384], [768, 768], [384, 1152], [1152, 384]] as const;
    const siglip = {
      ...llavaNextConfig,
      image_grid_pinpoints: pinpoints,
      vision_config: { model_type: 'siglip_vision_model', image_size: 384, patch_size: 14 },
      vision_feature_select_strategy: 'full',
    };
    const next384 = llavaNext.create(parseLlavaNextConfig(siglip));
    expect(next384.layout({ width: 768, height: 768 }).views.map((v) => [v.name, v.rows, v.cols])).toEqual([
      ['base', 27, 27],
      ['crops', 54, 54],
    ]);
    for (const size of randomSizes(500, 5000, 3)) {
      expect(next384.imageTokenCount(size)).toBe(hfLlavaNextTokens(size.width, size.height, pinpoints, 384, 14, 'full', 0));
    }
    expect(code(() => parseLlavaNextConfig({ ...siglip, vision_feature_select_strategy: 'default' }))).toContain('no CLS token to drop');
  });
});

describe('LLaVA-NeXT layout', () => {
  const layout = adapter.layout({ width: 1100, height: 808 });

  it('is the base view, then the unpadded crops with one newline per row', () => {
    expect(layout.views.map((v) => ({ name: v.name, rows: v.rows, cols: v.cols, start: v.start, length: v.length }))).toEqual([
      { name: 'base', rows: 24, cols: 24, start: 0, length: 576 },
      { name: 'crops', rows: 36, cols: 48, start: 576, length: 1764 },
    ]);
    expect(layout.newlines.length).toBe(36);
    expect(layout.newlines.slice(0, 3)).toEqual([576 + 48, 576 + 97, 576 + 146]);
    expect(layout.images[0]!.details).toEqual({
      bestResolution: { height: 672, width: 672 },
      crops: { rows: 2, cols: 2 },
      unpadded: { rows: 36, cols: 48 },
      padding: { top: 6, left: 0 },
    });
  });

  it('maps unpadded rows back to their crops (6 padding rows removed at the top)', () => {
    // unpadded row 17 is padded row 23 (crop row 0); row 18 is padded row 24 (crop row 1)
    expect(tokenInfo(layout, 576 + 17 * 49 + 0).crop).toBe(0);
    expect(tokenInfo(layout, 576 + 17 * 49 + 24).crop).toBe(1);
    expect(tokenInfo(layout, 576 + 18 * 49 + 0).crop).toBe(2);
    expect(tokenInfo(layout, 576 + 35 * 49 + 47).crop).toBe(3);
  });
});

describe('LLaVA-NeXT budgets', () => {
  const layout = adapter.layout({ width: 1100, height: 808 });

  it('default: one global budget over base view and crops, newlines dropped', () => {
    expect(adapter.defaults).toEqual({ policy: 'global', newlines: 'drop' });
    const plan = planBudget(layout, { keep: 320 });
    expect(keeps(plan)).toEqual([['image 0', 2304, 320]]);
  });

  it('per-view: base and crop grid each get their share', () => {
    expect(keeps(planBudget(layout, { keep: 320 }, { policy: 'per-view' }))).toEqual([
      ['image 0 base', 576, 80],
      ['image 0 crops', 1728, 240],
    ]);
  });

  it('per-crop: base and each crop (18 of 24 rows stay in each after unpadding)', () => {
    expect(keeps(planBudget(layout, { keep: 320 }, { policy: 'per-crop' }))).toEqual([
      ['image 0 base', 576, 80],
      ['image 0 crops[0]', 432, 60],
      ['image 0 crops[1]', 432, 60],
      ['image 0 crops[2]', 432, 60],
      ['image 0 crops[3]', 432, 60],
    ]);
  });

  it('with a small and a large image, neither is starved', () => {
    // 4000×20: base view only (every crop row is padding); 672×672: 2928 tokens, 48 newlines
    const two = adapter.layout([{ width: 4000, height: 20 }, { width: 672, height: 672 }]);
    expect(two.images.map((i) => i.length)).toEqual([576, 2928]);
    expect(keeps(planBudget(two, { keep: 345 }))).toEqual([
      ['image 0', 576, 58], // ⌈576 · 345 / 3456⌉ = ⌈57.5⌉
      ['image 1', 2880, 288], // ⌈2880 · 345 / 3456⌉ = ⌈287.5⌉
    ]);
    expect(keeps(planBudget(two, { ratio: 0.05 }, { minTokens: 64 }))).toEqual([
      ['image 0', 576, 64], // ⌈28.8⌉ raised to the guard
      ['image 1', 2880, 144],
    ]);
  });

  it('compacts a prompt with the newline rules, re-indexing positions', () => {
    const I = 32000;
    const ids = [1, 733, 16289, 28793, ...new Array<number>(layout.tokens).fill(I), 13, 3195, 349, 736, 28804, 733, 28748, 16289, 28793];
    const prompt = promptFromInputIds(ids, I, layout);
    const plan = planBudget(layout, { keep: 100 }, { policy: 'per-crop', newlines: 'keep-rows' });
    const kept = plan.units.flatMap((u) => u.candidates.slice(0, (u.budget as { keep: number }).keep));
    const out = compact(layout, kept, { prompt, newlines: plan.newlines });
    const rowsWithTokens = new Set(kept.filter((i) => i >= 576).map((i) => tokenInfo(layout, i).row)).size;
    expect(out.visual.length).toBe(kept.length + rowsWithTokens);
    expect(out.keep.length).toBe(4 + 9 + out.visual.length);
    expect(out.positions.ids).toEqual(out.keep.map((_, j) => j));
    expect(compact(layout, kept, { prompt, newlines: 'drop' }).visual.length).toBe(kept.length);
  });
});

describe('LLaVA-NeXT config errors', () => {
  it('name the field and what was expected', () => {
    const { image_grid_pinpoints: _p, ...noPinpoints } = llavaNextConfig;
    expect(code(() => parseLlavaNextConfig(noPinpoints))).toBe(
      'E_BACKBONE_CONFIG: config.json: "image_grid_pinpoints" is missing; expected a non-empty list of [height, width] pairs',
    );
    expect(parseLlavaNextConfig(noPinpoints, llavaNextPreprocessor).pinpoints).toEqual(PINPOINTS);
    expect(code(() => parseLlavaNextConfig({ ...llavaNextConfig, image_grid_pinpoints: [[336]] }))).toContain(
      '"image_grid_pinpoints" is [[336]]',
    );
    expect(code(() => parseLlavaNextConfig({ ...llavaNextConfig, image_grid_pinpoints: [[168, 336]] }))).toContain(
      'pinpoint [168, 336] is smaller than one 336-px crop',
    );
    expect(code(() => parseLlavaNextConfig({ ...llavaNextConfig, vision_feature_select_strategy: 'full' }))).toContain('needs "default"');
    expect(
      code(() => parseLlavaNextConfig(llavaNextConfig, { ...llavaNextPreprocessor, image_grid_pinpoints: [[336, 672]] })),
    ).toContain('list different "image_grid_pinpoints"');
    expect(code(() => parseLlavaNextConfig(llavaNextConfig, { ...llavaNextPreprocessor, crop_size: { height: 384, width: 384 } }))).toContain(
      '"crop_size" is 384x384',
    );
  });
});

describeBackboneConformance(llavaNext, {
  config: llavaNextConfig,
  preprocessor: llavaNextPreprocessor,
  expectedTokens: [
    { size: { width: 1100, height: 808 }, tokens: 2340 },
    { size: { width: 672, height: 672 }, tokens: 2928 },
    { size: { width: 336, height: 336 }, tokens: 1176 },
  ],
  invalidConfigs: [
    { config: { model_type: 'llava_next' } },
    { config: { ...llavaNextConfig, image_grid_pinpoints: [] } },
    { config: { ...llavaNextConfig, vision_feature_select_strategy: 'full' } },
    { config: llavaNextConfig, preprocessor: { image_grid_pinpoints: [[672, 672]] } },
  ],
});
