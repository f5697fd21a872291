import { describe, expect, it } from 'vitest';
import { adapterFromPreset, listPresets, presetConfig } from '@resprune/backbones';
import { QWEN_VL_PRESETS, smartResize } from '../src/index.js';
import { qwen25Config, qwen25Preprocessor } from './fixtures.js';

describe('Qwen2.5-VL presets', () => {
  it('/register adds qwen2.5-vl-3b and qwen2.5-vl-7b to the default registry', async () => {
    await import('../src/register.js');
    expect(listPresets()).toEqual(expect.arrayContaining(['qwen2.5-vl-3b', 'qwen2.5-vl-7b']));
    expect(QWEN_VL_PRESETS.map((p) => p.repo)).toEqual(['Qwen/Qwen2.5-VL-3B-Instruct', 'Qwen/Qwen2.5-VL-7B-Instruct']);
  });

  it('7B ships the published files unchanged; 3B differs only in the language model size', () => {
    expect(presetConfig('qwen2.5-vl-7b')).toEqual({ config: qwen25Config, preprocessor: qwen25Preprocessor });
    const small = presetConfig('qwen2.5-vl-3b');
    expect(small.preprocessor).toEqual(qwen25Preprocessor);
    const c = small.config as Record<string, unknown> & { vision_config: Record<string, unknown> };
    expect([c['hidden_size'], c['num_hidden_layers'], c['num_attention_heads'], c['num_key_value_heads'], c['vocab_size'], c['tie_word_embeddings']]).toEqual([
      2048, 36, 16, 2, 151936, true,
    ]);
    expect(c.vision_config['out_hidden_size']).toBe(2048);
    const { vision_config: _v, ...rest } = c;
    void _v;
    const differing = Object.keys(rest).filter((k) => JSON.stringify(rest[k]) !== JSON.stringify(qwen25Config[k])).sort();
    expect(differing).toEqual(['hidden_size', 'intermediate_size', 'max_window_layers', 'num_attention_heads', 'num_hidden_layers', 'num_key_value_heads', 'tie_word_embeddings', 'vocab_size']);
  });

  it('build adapters whose token count is the smart-resized grid merged 2×2', () => {
    for (const name of ['qwen2.5-vl-3b', 'qwen2.5-vl-7b']) {
      const adapter = adapterFromPreset(name);
      expect(adapter.id).toBe('qwen2.5-vl');
      const { height, width } = smartResize(720, 1280, { factor: 28, minPixels: 3136, maxPixels: 12845056 });
      expect([height, width]).toEqual([728, 1288]); // 26 × 46 patches of 28 px
      expect(adapter.imageTokenCount({ width: 1280, height: 720 })).toBe(26 * 46);
    }
  });
});
