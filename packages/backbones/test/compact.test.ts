import { describe, expect, it } from 'vitest';
import { compact, keptVisualTokens, positionsToJson, promptFromInputIds, visualPositions } from '../src/index.js';
import { thrown } from './errors.js';
import { mropeAdapter, tilesAdapter } from './toy.js';

describe('compact: sequential positions (LLaVA style)', () => {
  const layout = tilesAdapter.layout({ width: 640, height: 480 });

  it('keeps all text, re-indexes contiguously, applies the newline rule', () => {
    const prompt = [{ text: 2 }, { image: 0 }, { text: 3 }];
    const out = compact(layout, [14, 0, 5], { prompt, newlines: 'keep-rows' });
    // rows 0-1 text, image rows 2..20, text 21-23; rows 0 and 2 of the crop grid keep their newline
    expect(out.visual).toEqual([0, 5, 8, 14, 18]);
    expect(out.keep).toEqual([0, 1, 2, 7, 10, 16, 20, 21, 22, 23]);
    expect(out.positions).toEqual({ scheme: 'sequential', ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(out.nextPosition).toBe(10);
    expect(out.length).toBe(24);
    expect(compact(layout, [14, 0, 5], { prompt, newlines: 'drop' }).visual).toEqual([0, 5, 14]);
    expect(compact(layout, [14, 0, 5], { prompt, newlines: 'keep' }).visual).toEqual([0, 5, 8, 13, 14, 18]);
    expect(compact(layout, [14, 0, 13], { prompt, newlines: 'select' }).visual).toEqual([0, 13, 14]);
  });

  it('defaults to the images alone', () => {
    const { visual, positions } = visualPositions(layout, [3, 9, 1]);
    expect(visual).toEqual([1, 3, 9]);
    expect(positionsToJson(positions)).toEqual([0, 1, 2]);
  });

  it('rejects selections it cannot honour', () => {
    thrown(() => compact(layout, [19]), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [1.5]), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [2, 2]), 'E_INVALID_OPTION');
    expect(thrown(() => compact(layout, [0, 8], { newlines: 'drop' }), 'E_INVALID_OPTION').message).toContain('newline token');
    expect(thrown(() => compact(layout, []), 'E_BUDGET').message).toContain('below the minimum of 1');
    thrown(() => compact(layout, [0, 1], { minTokens: 3 }), 'E_BUDGET');
    expect(compact(layout, [], { minTokens: 0 }).keep).toEqual([]);
    thrown(() => compact(layout, [0], { newlines: 'sometimes' as never }), 'E_INVALID_OPTION');
  });

  it('rejects prompts that do not place each image once, in order', () => {
    thrown(() => compact(layout, [0], { prompt: [{ text: 2 }] }), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [0], { prompt: [{ image: 1 }] }), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [0], { prompt: [{ image: 0 }, { image: 0 }] }), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [0], { prompt: [{ text: -1 }, { image: 0 }] }), 'E_INVALID_OPTION');
    thrown(() => compact(layout, [0], { prompt: [{ text: 1, image: 0 } as never] }), 'E_INVALID_OPTION');
  });
});

describe('compact: M-RoPE positions (Qwen style), by hand', () => {
  it('kept tokens keep (t, h, w); text resumes after the original span', () => {
    // 84×56 → 2 rows × 3 cols: token k at (row, col) = (k / 3, k % 3)
    const layout = mropeAdapter.layout({ width: 84, height: 56 });
    const prompt = [{ text: 3 }, { image: 0 }, { text: 2 }];
    const full = compact(layout, [0, 1, 2, 3, 4, 5], { prompt });
    expect(positionsToJson(full.positions)).toEqual([
      [0, 0, 0], [1, 1, 1], [2, 2, 2],
      [3, 3, 3], [3, 3, 4], [3, 3, 5], [3, 4, 3], [3, 4, 4], [3, 4, 5],
      [6, 6, 6], [7, 7, 7],
    ]);
    expect(full.nextPosition).toBe(8);
    const pruned = compact(layout, [5, 1], { prompt });
    expect(pruned.keep).toEqual([0, 1, 2, 4, 8, 9, 10]);
    expect(positionsToJson(pruned.positions)).toEqual([[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 4], [3, 4, 5], [6, 6, 6], [7, 7, 7]]);
    expect(pruned.nextPosition).toBe(8);
  });

  it('numbers several images one after the other', () => {
    const layout = mropeAdapter.layout([{ width: 84, height: 56 }, { width: 28, height: 28 }]);
    const out = compact(layout, [0, 6], { prompt: [{ text: 1 }, { image: 0 }, { image: 1 }, { text: 1 }] });
    expect(positionsToJson(out.positions)).toEqual([[0, 0, 0], [1, 1, 1], [4, 4, 4], [5, 5, 5]]);
    expect(out.keep).toEqual([0, 1, 7, 8]);
  });

  it('keeps at least min(minTokens, tokens) of every image', () => {
    const layout = mropeAdapter.layout([{ width: 84, height: 56 }, { width: 28, height: 28 }]);
    expect(thrown(() => compact(layout, [0, 1, 2]), 'E_BUDGET').message).toContain('image 1 keeps 0');
    expect(() => compact(layout, [0, 1, 6], { minTokens: 2 })).not.toThrow();
  });
});

describe('promptFromInputIds', () => {
  it('splits a tokenised prompt by placeholder runs, checking each run against the layout', () => {
    const layout = mropeAdapter.layout([{ width: 84, height: 56 }, { width: 28, height: 28 }]);
    const I = 99;
    const ids = [1, 2, I, I, I, I, I, I, I, 5, 6, 7];
    expect(promptFromInputIds(ids, I, layout)).toEqual([{ text: 2 }, { image: 0 }, { image: 1 }, { text: 3 }]);
    expect(thrown(() => promptFromInputIds([1, I, I, 2, I], I, layout), 'E_SHAPE_MISMATCH').message).toContain(
      'image 0 has 2 placeholder tokens in the prompt but the toy-mrope layout expects 6',
    );
    thrown(() => promptFromInputIds([1, 2], I, layout), 'E_SHAPE_MISMATCH');
    thrown(() => promptFromInputIds([...ids, I], I, layout), 'E_SHAPE_MISMATCH');
  });
});

describe('keptVisualTokens', () => {
  it('applies the rule without a prompt', () => {
    const layout = tilesAdapter.layout({ width: 10, height: 10 });
    expect(keptVisualTokens(layout, [4], 'keep-rows')).toEqual([4, 8]);
  });
});
