import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry, compact, planBudget, promptFromInputIds } from '@resprune/backbones';
import { describeBackboneConformance } from '@resprune/backbones/testing';
import { llava15, parseLlava15Config } from '../src/index.js';
import { llava15Config, llava15Preprocessor } from './fixtures.js';
import { hfLlavaTokens, randomSizes } from './reference.js';

const adapter = new BackboneRegistry().register(llava15).fromConfig(llava15Config, llava15Preprocessor);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isResPruneError(e) ? `${e.code}: ${e.message}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

describe('LLaVA-1.5 (llava-hf/llava-1.5-7b-hf)', () => {
  it('reads the published config', () => {
    expect(parseLlava15Config(llava15Config, llava15Preprocessor)).toEqual({
      patchSize: 14,
      imageSize: 336,
      processed: { height: 336, width: 336 },
      strategy: 'default',
      hasCls: true,
      imageTokenId: 32000,
    });
    expect(adapter.id).toBe('llava-1.5');
    expect(adapter.imageTokenId).toBe(32000);
    expect(adapter.positionScheme).toBe('sequential');
  });

  it('gives every image size the processor count: 576 = 24 × 24', () => {
    const sizes = [
      { width: 336, height: 336 },
      { width: 1, height: 1 },
      { width: 4000, height: 20 },
      { width: 20, height: 4000 },
      { width: 12000, height: 9000 },
      ...randomSizes(200, 8000),
    ];
    for (const size of sizes) expect(adapter.imageTokenCount(size)).toBe(hfLlavaTokens());
    const layout = adapter.layout({ width: 640, height: 480 });
    expect(layout.views.map((v) => [v.name, v.rows, v.cols, v.start, v.length])).toEqual([['image', 24, 24, 0, 576]]);
    expect(layout.newlines).toEqual([]);
  });

  it('keeps CLS under the "full" strategy (577 tokens, CLS first)', () => {
    const full = llava15.create(parseLlava15Config({ ...llava15Config, vision_feature_select_strategy: 'full' }));
    expect(full.imageTokenCount({ width: 640, height: 480 })).toBe(hfLlavaTokens(336, 14, 'full'));
    expect(full.layout({ width: 640, height: 480 }).views.map((v) => [v.name, v.length])).toEqual([['cls', 1], ['image', 576]]);
  });

  it('knows SigLIP towers have no CLS: "full" keeps every patch, "default" is refused', () => {
    const siglip = {
      ...llava15Config,
      vision_config: { model_type: 'siglip_vision_model', image_size: 384, patch_size: 14 },
      vision_feature_select_strategy: 'full',
    };
    const adapter384 = llava15.create(parseLlava15Config(siglip));
    // (384 // 14)² + 0 additional tokens = 27² = 729
    expect(adapter384.imageTokenCount({ width: 640, height: 480 })).toBe(hfLlavaTokens(384, 14, 'full', 0));
    expect(adapter384.layout({ width: 640, height: 480 }).views.map((v) => [v.name, v.rows, v.cols])).toEqual([['image', 27, 27]]);
    expect(code(() => parseLlava15Config({ ...siglip, vision_feature_select_strategy: 'default' }))).toContain('no CLS token to drop');
  });

  it('re-indexes positions contiguously after pruning, keeping all text', () => {
    const layout = adapter.layout({ width: 640, height: 480 });
    const I = 32000;
    const inputIds = [1, 3148, 1001, 29901, ...new Array<number>(576).fill(I), 13, 5618, 338, 297, 445, 1967, 29973];
    const prompt = promptFromInputIds(inputIds, I, layout);
    expect(prompt).toEqual([{ text: 4 }, { image: 0 }, { text: 7 }]);
    const plan = planBudget(layout, { keep: 128 });
    const kept = plan.units[0]!.candidates.filter((_, k) => k % 4 === 0 || k === 1).slice(0, 128);
    const out = compact(layout, kept, { prompt });
    expect(out.keep.length).toBe(4 + 128 + 7);
    expect(out.keep.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.keep.slice(-7)).toEqual([580, 581, 582, 583, 584, 585, 586]);
    expect(out.positions).toEqual({ scheme: 'sequential', ids: Array.from({ length: 139 }, (_, j) => j) });
    expect(out.nextPosition).toBe(139);
  });

  it('rejects bad configs with one clear E_BACKBONE_CONFIG line', () => {
    const { vision_config: _vision, ...noVision } = llava15Config;
    expect(code(() => parseLlava15Config(noVision))).toBe(
      'E_BACKBONE_CONFIG: config.json: "vision_config" is missing; expected an object',
    );
    expect(code(() => parseLlava15Config({ ...llava15Config, vision_config: { image_size: 336 } }))).toBe(
      'E_BACKBONE_CONFIG: config.json: "vision_config.patch_size" is missing; expected an integer >= 1',
    );
    expect(code(() => parseLlava15Config({ ...llava15Config, vision_feature_select_strategy: 'cls' }))).toContain(
      '"vision_feature_select_strategy" is "cls"',
    );
    expect(code(() => parseLlava15Config(llava15Config, { ...llava15Preprocessor, crop_size: { height: 224, width: 224 } }))).toContain(
      '"crop_size" is 224x224 but config.json vision_config.image_size is 336',
    );
    expect(code(() => parseLlava15Config(llava15Config, { ...llava15Preprocessor, do_center_crop: false }))).toContain('do_center_crop');
  });
});

describeBackboneConformance(llava15, {
  config: llava15Config,
  preprocessor: llava15Preprocessor,
  expectedTokens: [
    { size: { width: 336, height: 336 }, tokens: 576 },
    { size: { width: 1100, height: 808 }, tokens: 576 },
  ],
  invalidConfigs: [
    { config: { model_type: 'llava' } },
    { config: { ...llava15Config, vision_config: { patch_size: 14 } } },
    { config: { ...llava15Config, vision_config: { image_size: 336, patch_size: 0 } } },
    { config: llava15Config, preprocessor: { crop_size: { height: 224, width: 224 } } },
  ],
});
