import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry, compact, planBudget, positionsToJson, promptFromInputIds, type BudgetPlan } from '@resprune/backbones';
import { describeBackboneConformance } from '@resprune/backbones/testing';
import { parseQwenVlConfig, qwen25vl, roundHalfEven, smartResize } from '../src/index.js';
import { qwen25Config, qwen25Preprocessor } from './fixtures.js';
import { HF_RESIZE, hfRopeIndex, placeholders } from './reference.js';

const registry = new BackboneRegistry().register(qwen25vl);
/** With the published preprocessor_config.json (max 12 845 056 pixels). */
const adapter = registry.fromConfig(qwen25Config, qwen25Preprocessor);
/** With config.json alone: transformers' default bounds (max 28·28·1280). */
const bare = registry.fromConfig(qwen25Config);
const HUB_MAX = 12845056;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isResPruneError(e) ? `${e.code}: ${e.message}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

const keeps = (plan: BudgetPlan): number[] => plan.units.map((u) => (u.budget as { keep: number }).keep);

describe('Qwen2.5-VL config', () => {
  it('reads the published config.json and preprocessor_config.json', () => {
    expect(parseQwenVlConfig(qwen25Config, qwen25Preprocessor)).toEqual({
      patchSize: 14,
      mergeSize: 2,
      minPixels: 3136,
      maxPixels: HUB_MAX,
      imageTokenId: 151655,
      visionStartTokenId: 151652,
      visionEndTokenId: 151653,
    });
    expect(parseQwenVlConfig(qwen25Config).maxPixels).toBe(1003520);
    expect(parseQwenVlConfig(qwen25Config, { size: { shortest_edge: 200704, longest_edge: 1003520 } })).toMatchObject({
      minPixels: 200704,
      maxPixels: 1003520,
    });
    expect(adapter.positionScheme).toBe('mrope');
    expect(adapter.imageTokenId).toBe(151655);
  });

  it('rejects bad configs with one clear E_BACKBONE_CONFIG line', () => {
    const { vision_config: _v, ...noVision } = qwen25Config;
    expect(code(() => parseQwenVlConfig(noVision))).toBe('E_BACKBONE_CONFIG: config.json: "vision_config" is missing; expected an object');
    expect(code(() => parseQwenVlConfig({ ...qwen25Config, vision_config: { patch_size: 14 } }))).toBe(
      'E_BACKBONE_CONFIG: config.json: "vision_config.spatial_merge_size" is missing; expected an integer >= 1',
    );
    expect(code(() => parseQwenVlConfig(qwen25Config, { ...qwen25Preprocessor, patch_size: 16 }))).toContain(
      'preprocessor_config.json says patch_size is 16 but config.json vision_config says 14',
    );
    expect(code(() => parseQwenVlConfig(qwen25Config, { min_pixels: 5000, max_pixels: 4000 }))).toContain('exceeds max_pixels');
    expect(code(() => parseQwenVlConfig(qwen25Config, { min_pixels: 100, max_pixels: 700 }))).toContain('below one 28x28 token');
    expect(code(() => parseQwenVlConfig(qwen25Config, { max_pixels: '1e6' }))).toContain('"max_pixels" is "1e6"');
  });
});

describe('Qwen2.5-VL smart resize and token counts', () => {
  it('rounds like Python (ties to even)', () => {
    expect([0.5, 1.5, 2.5, 3.5, 4.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 4, 2, 3]);
    // 70 / 28 = 2.5 → 2 → 56 (not 84); 126 / 28 = 4.5 → 4 → 112
    expect(smartResize(70, 70)).toEqual({ height: 56, width: 56 });
    expect(smartResize(126, 126)).toEqual({ height: 112, width: 112 });
    expect(adapter.imageTokenCount({ width: 126, height: 126 })).toBe(16);
  });

  it('gives 1008×1008 36×36 = 1296 tokens with the published bounds, 35×35 with the defaults', () => {
    expect(adapter.imageTokenCount({ width: 1008, height: 1008 })).toBe(1296);
    // 1008² = 1 016 064 > 1 003 520: β = √(1016064/1003520), ⌊1008/β/28⌋ = 35
    expect(bare.imageTokenCount({ width: 1008, height: 1008 })).toBe(1225);
  });

  it('scales tiny images up to min_pixels and huge ones down to max_pixels', () => {
    expect(smartResize(1, 1)).toEqual({ height: 56, width: 56 }); // β = 56
    expect(adapter.imageTokenCount({ width: 1, height: 1 })).toBe(4);
    // round(10/28) = 0, so the area 0 × 1008 is below min_pixels and the processor rescales from the
    // original size with β = √(3136 / 10000) = 0.56: ⌈5.6/28⌉·28 × ⌈560/28⌉·28 (narrower than 1008!)
    expect(smartResize(10, 1000)).toEqual({ height: 28, width: 560 });
    const huge = adapter.layout({ width: 20000, height: 15000 });
    expect(huge.tokens).toBeLessThanOrEqual(HUB_MAX / 784);
    expect(huge.images[0]!.details).toEqual({ resized: { height: 3080, width: 4116 }, gridThw: [1, 220, 294] });
  });

  it(`matches Python's smart_resize (transformers' formula) on ${HF_RESIZE.cases.length} sizes, both bounds`, () => {
    let refused = 0;
    for (const c of HF_RESIZE.cases) {
      const name = `${c.width}x${c.height}`;
      if (c.hub === null || c.default === null) {
        refused++;
        expect(code(() => adapter.layout({ width: c.width, height: c.height })), name).toContain('E_IMAGE_SIZE');
        continue;
      }
      expect(smartResize(c.height, c.width, { factor: 28, minPixels: 3136, maxPixels: HUB_MAX }), name).toEqual({ height: c.hub[0], width: c.hub[1] });
      expect(smartResize(c.height, c.width), `${name} default bounds`).toEqual({ height: c.default[0], width: c.default[1] });
      expect(adapter.imageTokenCount({ width: c.width, height: c.height }), name).toBe(placeholders(c.hub));
      expect(bare.imageTokenCount({ width: c.width, height: c.height }), `${name} default bounds`).toBe(placeholders(c.default));
    }
    expect(HF_RESIZE.hubMax).toBe(HUB_MAX);
    expect(refused).toBe(2); // 4001x20 and 1x201
  });

  it('refuses aspect ratios above 200 with E_IMAGE_SIZE', () => {
    expect(adapter.imageTokenCount({ width: 4000, height: 20 })).toBeGreaterThan(0); // exactly 200 is allowed
    expect(code(() => adapter.layout({ width: 4001, height: 20 }))).toContain('E_IMAGE_SIZE: image 4001x20: aspect ratio 200.1 exceeds 200');
    expect(code(() => adapter.layout({ width: 1, height: 201 }))).toContain('E_IMAGE_SIZE');
  });
});

describe('Qwen2.5-VL M-RoPE after pruning', () => {
  it('by hand on a 2×3 grid: kept tokens keep (t, h, w), text resumes after the original span', () => {
    // 84×56 px → 56×84 resized → 2 rows × 3 cols; token k sits at (k / 3, k % 3)
    const layout = adapter.layout({ width: 84, height: 56 });
    expect(layout.views.map((v) => [v.rows, v.cols])).toEqual([[2, 3]]);
    const prompt = [{ text: 3 }, { image: 0 }, { text: 2 }];
    const out = compact(layout, [1, 5], { prompt });
    expect(out.keep).toEqual([0, 1, 2, 4, 8, 9, 10]);
    expect(positionsToJson(out.positions)).toEqual([
      [0, 0, 0], [1, 1, 1], [2, 2, 2], // text
      [3, 3, 4], // token 1: row 0, col 1 → (3, 3 + 0, 3 + 1)
      [3, 4, 5], // token 5: row 1, col 2 → (3, 3 + 1, 3 + 2)
      [6, 6, 6], [7, 7, 7], // text resumes at 3 + max(2, 3) = 6, as without pruning
    ]);
    expect(out.nextPosition).toBe(8);
  });

  it('agrees with get_rope_index on a real chat prompt with two images, pruned or not', () => {
    const sizes = [{ width: 640, height: 480 }, { width: 300, height: 1200 }];
    const layout = adapter.layout(sizes);
    const [IM_START, IM_END, V_START, V_END, PAD] = [151644, 151645, 151652, 151653, 151655];
    const ids: number[] = [IM_START, 8948, 198, 2610, 525, 264, 10950, 17847, 13, IM_END, 198, IM_START, 872, 198];
    for (const image of layout.images) ids.push(V_START, ...new Array<number>(image.length).fill(PAD), V_END);
    ids.push(74785, 1493, 5335, 13, IM_END, 198, IM_START, 77091, 198);
    const grids = layout.images.map((i) => i.details['gridThw'] as [number, number, number]);
    const reference = hfRopeIndex(ids, grids, PAD);

    const prompt = promptFromInputIds(ids, PAD, layout);
    const all = Array.from({ length: layout.tokens }, (_, i) => i);
    const full = compact(layout, all, { prompt });
    expect(positionsToJson(full.positions)).toEqual(reference);
    expect(full.nextPosition).toBe(Math.max(...reference.flat()) + 1);

    const plan = planBudget(layout, { ratio: 0.2 });
    const kept = plan.units.flatMap((u) => u.candidates.filter((_, k) => k % 5 === 2).slice(0, (u.budget as { keep: number }).keep));
    const pruned = compact(layout, kept, { prompt });
    expect(pruned.keep.length).toBe(ids.length - layout.tokens + kept.length);
    expect(positionsToJson(pruned.positions)).toEqual(pruned.keep.map((row) => reference[row]));
    expect(pruned.nextPosition).toBe(full.nextPosition);
    for (const row of pruned.keep) if (ids[row] !== PAD) expect(reference[row]![0]).toBe(reference[row]![1]); // text rows: t = h = w
  });
});

describe('Qwen2.5-VL budgets', () => {
  it('give a small and a large image each ⌈tokens × fraction⌉', () => {
    const two = adapter.layout([{ width: 56, height: 56 }, { width: 1008, height: 1008 }]);
    expect(two.images.map((i) => i.length)).toEqual([4, 1296]);
    expect(keeps(planBudget(two, { keep: 130 }))).toEqual([1, 130]); // ⌈0.4⌉, ⌈129.6⌉
    expect(keeps(planBudget(two, { keep: 130 }, { minTokens: 4 }))).toEqual([4, 130]);
    expect(keeps(planBudget(two, { ratio: 0.25 }))).toEqual([1, 324]);
    // one view per image: the policies agree
    expect(keeps(planBudget(two, { ratio: 0.25 }, { policy: 'per-crop' }))).toEqual([1, 324]);
  });
});

describeBackboneConformance(qwen25vl, {
  config: qwen25Config,
  preprocessor: qwen25Preprocessor,
  expectedTokens: [
    { size: { width: 1008, height: 1008 }, tokens: 1296 },
    { size: { width: 84, height: 56 }, tokens: 6 },
    { size: { width: 70, height: 70 }, tokens: 4 },
  ],
  invalidConfigs: [
    { config: { model_type: 'qwen2_5_vl' } },
    { config: { ...qwen25Config, vision_config: { spatial_merge_size: 2 } } },
    { config: qwen25Config, preprocessor: { merge_size: 3 } },
    { config: qwen25Config, preprocessor: { min_pixels: 10, max_pixels: 5 } },
  ],
  invalidSizes: [{ width: 4001, height: 20 }, { width: 1, height: 201 }],
});
