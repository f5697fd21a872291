// Qwen2-VL, added by following docs/guide/adding-a-backbone.md (Route A: a new member of the
// Qwen-VL family). Step 5 of the guide: reference formulas, hand-checked values, positions, bad
// configs and sizes, conformance.
import { describe, expect, it } from 'vitest';
import { isResPruneError } from '@resprune/errors';
import { BackboneRegistry, compact, positionsToJson, promptFromInputIds } from '@resprune/backbones';
import { describeBackboneConformance } from '@resprune/backbones/testing';
import { parseQwenVlConfig, qwen25vl, qwen2vl } from '../src/index.js';
import { qwen25Config, qwen2Config, qwen2Preprocessor } from './fixtures.js';
import { HF_RESIZE, hfRopeIndex, placeholders } from './reference.js';

const registry = new BackboneRegistry().register(qwen25vl).register(qwen2vl);
const adapter = registry.fromConfig(qwen2Config, qwen2Preprocessor);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isResPruneError(e) ? `${e.code}: ${e.message}` : `not typed: ${String(e)}`;
  }
  return 'no error';
}

describe('Qwen2-VL (Qwen/Qwen2-VL-7B-Instruct)', () => {
  it('resolves by model_type next to Qwen2.5-VL and reads the published files', () => {
    expect(registry.resolve(qwen2Config)).toBe(qwen2vl);
    expect(registry.resolve(qwen25Config)).toBe(qwen25vl);
    expect(adapter.id).toBe('qwen2-vl');
    expect(adapter.modelType).toBe('qwen2_vl');
    expect(adapter.positionScheme).toBe('mrope');
    expect(parseQwenVlConfig(qwen2Config, qwen2Preprocessor)).toEqual({
      patchSize: 14,
      mergeSize: 2,
      minPixels: 3136,
      maxPixels: 12845056,
      imageTokenId: 151655,
      visionStartTokenId: 151652,
      visionEndTokenId: 151653,
    });
  });

  it(`counts placeholders as the processor does (named sizes and ${HF_RESIZE.cases.length} from Python's smart_resize)`, () => {
    // 1008×1008 → 36 × 36 = 1296; 84×56 → 2 × 3; 70×70: round(2.5) = 2 → 56×56 → 4
    expect(adapter.imageTokenCount({ width: 1008, height: 1008 })).toBe(1296);
    expect(adapter.imageTokenCount({ width: 84, height: 56 })).toBe(6);
    expect(adapter.imageTokenCount({ width: 70, height: 70 })).toBe(4);
    for (const c of HF_RESIZE.cases) {
      if (c.hub !== null) expect(adapter.imageTokenCount(c), `${c.width}x${c.height}`).toBe(placeholders(c.hub));
    }
  });

  it('keeps original M-RoPE ids after pruning, as get_rope_index gives them unpruned', () => {
    const layout = adapter.layout([{ width: 84, height: 56 }, { width: 56, height: 56 }]);
    const [V_START, V_END, PAD] = [151652, 151653, 151655];
    const ids = [151644, 872, 198, V_START, ...new Array<number>(6).fill(PAD), V_END, V_START, PAD, PAD, PAD, PAD, V_END, 3838, 13, 151645];
    const reference = hfRopeIndex(ids, [[1, 4, 6], [1, 4, 4]], PAD);
    const prompt = promptFromInputIds(ids, PAD, layout);
    const out = compact(layout, [1, 5, 9], { prompt });
    expect(positionsToJson(out.positions)).toEqual(out.keep.map((row) => reference[row]));
    // by hand: text 0-3; image 0 starts at 4 (2×3), its token 5 = (4, 4 + 1, 4 + 2); <|vision_end|>
    // at 4 + 3 = 7, <|vision_start|> 8; image 1 starts at 9 (2×2), its token 3 (index 9) = (9, 10, 10)
    expect(positionsToJson(out.positions)).toEqual([
      [0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3],
      [4, 4, 5], [4, 5, 6],
      [7, 7, 7], [8, 8, 8],
      [9, 10, 10],
      [11, 11, 11], [12, 12, 12], [13, 13, 13], [14, 14, 14],
    ]);
    expect(out.nextPosition).toBe(15);
  });

  it('rejects bad configs and sizes with typed errors', () => {
    expect(code(() => parseQwenVlConfig({ ...qwen2Config, vision_config: { embed_dim: 1280, patch_size: 14 } }))).toBe(
      'E_BACKBONE_CONFIG: config.json: "vision_config.spatial_merge_size" is missing; expected an integer >= 1',
    );
    expect(code(() => adapter.layout({ width: 20, height: 4001 }))).toContain('E_IMAGE_SIZE');
    expect(code(() => adapter.layout({ width: 0, height: 10 }))).toContain('E_IMAGE_SIZE');
  });
});

describeBackboneConformance(qwen2vl, {
  config: qwen2Config,
  preprocessor: qwen2Preprocessor,
  expectedTokens: [
    { size: { width: 1008, height: 1008 }, tokens: 1296 },
    { size: { width: 84, height: 56 }, tokens: 6 },
  ],
  invalidConfigs: [
    { config: { model_type: 'qwen2_vl' } },
    { config: qwen2Config, preprocessor: { patch_size: 16 } },
  ],
  invalidSizes: [{ width: 4001, height: 20 }],
});
