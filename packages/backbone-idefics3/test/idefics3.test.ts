// Idefics3 / SmolVLM, added by following docs/guide/adding-a-backbone.md (Route B: a new family
// package). Step 5 of the guide: reference formulas, hand-checked values, positions, bad configs,
// conformance.
import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry, compact, planBudget, positionsToJson, tokenInfo } from '@resprune/backbones';
import { describeBackboneConformance } from '@resprune/backbones/testing';
import { idefics3, idefics3Grid, parseIdefics3Config, smolvlm } from '../src/index.js';
import { idefics3Config, idefics3Preprocessor, smolConfig, smolPreprocessor, smolProcessor } from './fixtures.js';
import { imagePromptString, placeholderCount, rowsCols, type ProcessorSettings } from './reference.js';

const registry = new BackboneRegistry().register(smolvlm).register(idefics3);
const smol = registry.fromConfig(smolConfig, smolPreprocessor);
const idefics = registry.fromConfig(idefics3Config, idefics3Preprocessor);
const SMOL: ProcessorSettings = { longestEdge: 2048, max: 512, imageSeqLen: 64 };
const IDEFICS: ProcessorSettings = { longestEdge: 1456, max: 364, imageSeqLen: 169 };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isResPruneError(e) ? `${e.code}: ${e.message}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

/** Deterministic sizes: log-uniform sides 1 … 9000 px (xorshift). */
function randomSizes(n: number): Array<{ width: number; height: number }> {
  let s = 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  return Array.from({ length: n }, () => ({ width: Math.max(1, Math.round(Math.exp(next() * Math.log(9000)))), height: Math.max(1, Math.round(Math.exp(next() * Math.log(9000)))) }));
}

describe('SmolVLM (HuggingFaceTB/SmolVLM2-500M-Video-Instruct)', () => {
  it('reads the published files', () => {
    expect(registry.resolve(smolConfig)).toBe(smolvlm);
    expect(smol.id).toBe('smolvlm');
    expect(smol.positionScheme).toBe('sequential');
    expect(smol.imageTokenId).toBe(49190);
    expect(smol.defaults).toEqual({ policy: 'per-crop', newlines: 'drop' });
    const parsed = parseIdefics3Config(smolConfig, smolPreprocessor);
    expect(parsed).toEqual({
      tileSize: 512,
      patchSize: 16,
      scaleFactor: 4,
      tileGrid: 8,
      tokensPerTile: 64,
      longestEdge: 2048,
      doResize: true,
      doImageSplitting: true,
      imageTokenId: 49190,
    });
    // (512 / 16)² / 4² = 64: the processor config's image_seq_len.
    expect(parsed.tokensPerTile).toBe(smolProcessor['image_seq_len']);
    // Without a preprocessor config, the copies in vision_config give the same.
    expect(parseIdefics3Config(smolConfig)).toEqual(parsed);
    expect(parseIdefics3Config(smolConfig, { ...smolPreprocessor, ...smolProcessor })).toEqual(parsed);
    // A config.json without those copies: the crop side is the tower's image_size, the longest edge HF's 4·364.
    const { max_image_size: _m, size: _s, ...bareVision } = smolConfig['vision_config'] as Record<string, unknown>;
    expect(parseIdefics3Config({ ...smolConfig, vision_config: bareVision })).toMatchObject({ tileSize: 512, longestEdge: 1456 });
    // A preprocessor without max_image_size takes HF's 364, which this 512-px tower refuses.
    const { max_image_size: _p, ...noMax } = smolPreprocessor;
    expect(code(() => parseIdefics3Config(smolConfig, noMax))).toMatch(/max_image_size.longest_edge is 364 but config.json vision_config.image_size is 512/);
  });

  it('crop grids and token counts worked by hand', () => {
    // 1100×808: longest edge → 2048 × int(2048 / (1100/808)) = 1504 (even); crops of 512:
    // width 2048 (4 cols), height ceil(1504 / 512) = 3 rows → 3·4 + 1 global = 13 tiles × 64 = 832.
    expect(idefics3Grid({ width: 1100, height: 808 }, parseIdefics3Config(smolConfig, smolPreprocessor))).toEqual({
      resized: { width: 2048, height: 1536 },
      rows: 3,
      cols: 4,
    });
    expect(smol.imageTokenCount({ width: 1100, height: 808 })).toBe(832);
    // Every image is scaled to a 2048 longest edge first, even a tiny one: 512×512 and 1×1 → 4×4 + 1.
    expect(smol.imageTokenCount({ width: 512, height: 512 })).toBe(17 * 64);
    expect(smol.imageTokenCount({ width: 1, height: 1 })).toBe(17 * 64);
    // 1600×400 → 2048×512 → 1 row × 4 cols + 1; 300×1200 → 512×2048 → 4 rows × 1 col + 1.
    expect(smol.layout({ width: 1600, height: 400 }).images[0]!.details).toMatchObject({ rows: 1, cols: 4 });
    expect(smol.layout({ width: 300, height: 1200 }).images[0]!.details).toMatchObject({ rows: 4, cols: 1 });
    expect(smol.imageTokenCount({ width: 1600, height: 400 })).toBe(5 * 64);
    // 4000×20 → 2048 × int(10.24) = 10 → height ceiled to one 512 row: 1 × 4 + 1.
    expect(smol.imageTokenCount({ width: 4000, height: 20 })).toBe(5 * 64);
    // Idefics3-8B: 1100×808 → 1456 × int(1069.51) = 1069 → 1070 (even) → 3 rows × 4 cols of 364 → 13 × 169.
    expect(idefics.layout({ width: 1100, height: 808 }).images[0]!.details).toMatchObject({ rows: 3, cols: 4, tokensPerTile: 169 });
    expect(idefics.imageTokenCount({ width: 1100, height: 808 })).toBe(2197);
  });

  it('views: the crops in row-major order, then the global tile, 8×8 tokens each', () => {
    const layout = smol.layout({ width: 1600, height: 400 });
    expect(layout.views.map((v) => [v.name, v.rows, v.cols, v.start, v.length])).toEqual([
      ['crop_1_1', 8, 8, 0, 64],
      ['crop_1_2', 8, 8, 64, 64],
      ['crop_1_3', 8, 8, 128, 64],
      ['crop_1_4', 8, 8, 192, 64],
      ['global', 8, 8, 256, 64],
    ]);
    expect(layout.newlines).toEqual([]);
    expect(tokenInfo(layout, 64 + 9)).toMatchObject({ view: 1, row: 1, col: 1, newline: false });
  });

  it(`counts placeholders as the processor's prompt has them (named sizes and 3000 generated)`, () => {
    const named = [
      { width: 512, height: 512 },
      { width: 513, height: 512 },
      { width: 2048, height: 2048 },
      { width: 2049, height: 2048 },
      { width: 1023, height: 1025 },
      { width: 20000, height: 3 },
      { width: 3, height: 20000 },
      { width: 9000, height: 8999 },
    ];
    for (const size of [...named, ...randomSizes(3000)]) {
      expect(smol.imageTokenCount(size), `${size.width}x${size.height}`).toBe(placeholderCount(size.width, size.height, SMOL));
      expect(idefics.imageTokenCount(size), `${size.width}x${size.height}`).toBe(placeholderCount(size.width, size.height, IDEFICS));
      const details = smol.layout(size).images[0]!.details;
      expect([details['rows'], details['cols']]).toEqual(rowsCols(size.width, size.height, SMOL));
    }
  });

  it('follows do_resize and do_image_splitting', () => {
    const noSplit = registry.fromConfig(smolConfig, { ...smolPreprocessor, do_image_splitting: false });
    expect(noSplit.imageTokenCount({ width: 1100, height: 808 })).toBe(64);
    expect(noSplit.layout({ width: 3000, height: 100 }).views.map((v) => v.name)).toEqual(['global']);
    const noResize = registry.fromConfig(smolConfig, { ...smolPreprocessor, do_resize: false });
    // 1100×808 kept: width ceil(1100/512)·512 = 1536, height int(1536 / (1100/808)) = 1128 → 1536: 3 × 3 + 1.
    expect(noResize.layout({ width: 1100, height: 808 }).images[0]!.details).toMatchObject({ rows: 3, cols: 3 });
    expect(noResize.imageTokenCount({ width: 1100, height: 808 })).toBe(placeholderCount(1100, 808, { ...SMOL, doResize: false }));
    // 512×512 unresized is exactly one tile: no split, the global image only.
    expect(noResize.imageTokenCount({ width: 512, height: 512 })).toBe(64);
  });

  it('positions: text and markers stay, kept tokens re-numbered contiguously', () => {
    // One 1600×400 image: prompt "User:" + expansion with 4 crops + global, then "?" — written as
    // the processor writes it, tokenised one marker per token.
    const layout = smol.layout({ width: 1600, height: 400 });
    const expansion = imagePromptString(1, 4, 64);
    expect(expansion.split('<image>').length - 1).toBe(layout.tokens);
    // The adapter compacts the images as contiguous spans; per-crop budgets: 25% of 64 = 16 each.
    const plan = planBudget(layout, { ratio: 0.25 });
    expect(plan.units.map((u) => [u.view, 'keep' in u.budget ? u.budget.keep : -1])).toEqual([
      [0, 16],
      [1, 16],
      [2, 16],
      [3, 16],
      [4, 16],
    ]);
    const kept = plan.units.flatMap((u) => u.candidates.slice(0, 'keep' in u.budget ? u.budget.keep : 0));
    const out = compact(layout, kept, { prompt: [{ text: 3 }, { image: 0 }, { text: 2 }] });
    expect(out.keep.length).toBe(3 + 80 + 2);
    expect(positionsToJson(out.positions)).toEqual([...Array(85).keys()]);
    expect(out.nextPosition).toBe(85);
  });

  it('rejects bad configs with one line naming the field', () => {
    const { scale_factor: _s, ...noScale } = smolConfig;
    expect(code(() => parseIdefics3Config(noScale))).toBe('E_BACKBONE_CONFIG: config.json: "scale_factor" is missing; expected an integer >= 1');
    expect(code(() => parseIdefics3Config({ ...smolConfig, vision_config: { patch_size: 16 } }))).toMatch(/^E_BACKBONE_CONFIG: config.json: "vision_config.image_size" is missing/);
    expect(code(() => parseIdefics3Config({ ...smolConfig, vision_config: undefined }))).toMatch(/^E_BACKBONE_CONFIG: config.json: "vision_config" is missing/);
    expect(code(() => parseIdefics3Config(smolConfig, { ...smolPreprocessor, max_image_size: { longest_edge: 384 } }))).toMatch(
      /^E_BACKBONE_CONFIG: preprocessor_config.json: max_image_size.longest_edge is 384 but config.json vision_config.image_size is 512/,
    );
    expect(code(() => parseIdefics3Config({ ...smolConfig, scale_factor: 3 }))).toMatch(/^E_BACKBONE_CONFIG: .*not a whole multiple of scale_factor 3/);
    expect(code(() => parseIdefics3Config(smolConfig, { ...smolPreprocessor, image_seq_len: 81 }))).toMatch(/^E_BACKBONE_CONFIG: .*image_seq_len is 81/);
    expect(code(() => parseIdefics3Config(smolConfig, { ...smolPreprocessor, do_resize: 'yes' }))).toMatch(/^E_BACKBONE_CONFIG: preprocessor_config.json: "do_resize"/);
    expect(code(() => parseIdefics3Config(smolConfig, { ...smolPreprocessor, size: { longest_edge: 0 } }))).toMatch(/^E_BACKBONE_CONFIG: preprocessor_config.json: "size.longest_edge"/);
  });
});

describeBackboneConformance(smolvlm, {
  config: smolConfig,
  preprocessor: smolPreprocessor,
  expectedTokens: [
    { size: { width: 1100, height: 808 }, tokens: 832 },
    { size: { width: 1600, height: 400 }, tokens: 320 },
    { size: { width: 512, height: 512 }, tokens: 1088 },
  ],
  invalidConfigs: [
    { config: { model_type: 'smolvlm' } },
    { config: { ...smolConfig, scale_factor: 0 } },
    { config: smolConfig, preprocessor: { ...smolPreprocessor, max_image_size: { longest_edge: 364 } } },
  ],
});

describeBackboneConformance(idefics3, {
  config: idefics3Config,
  preprocessor: idefics3Preprocessor,
  expectedTokens: [{ size: { width: 1100, height: 808 }, tokens: 2197 }],
  invalidConfigs: [{ config: { model_type: 'idefics3', vision_config: { image_size: 364, patch_size: 14 } } }],
});
