import { describe, expect, it } from 'vitest';
import { adapterFromPreset, backbones, listPresets, presetConfig } from '@resprune/backbones';
import { LLAVA_PRESETS } from '../src/index.js';
import { llava15Config, llava15Preprocessor, llavaNextConfig, llavaNextPreprocessor } from './fixtures.js';

describe('LLaVA presets', () => {
  it('/register adds the three presets to the default registry', async () => {
    await import('../src/register.js');
    await import('../src/register.js'); // twice: registered once
    expect(listPresets()).toEqual(expect.arrayContaining(['llava-1.5-7b', 'llava-v1.6-mistral-7b', 'llava-v1.6-vicuna-7b']));
    expect(LLAVA_PRESETS.map((p) => [p.name, p.repo])).toEqual([
      ['llava-1.5-7b', 'llava-hf/llava-1.5-7b-hf'],
      ['llava-v1.6-mistral-7b', 'llava-hf/llava-v1.6-mistral-7b-hf'],
      ['llava-v1.6-vicuna-7b', 'llava-hf/llava-v1.6-vicuna-7b-hf'],
    ]);
    expect(backbones.preset('llava-1.5-7b').package).toBe('@resprune/backbone-llava');
  });

  it('ship the published files unchanged (the copies under test/fixtures)', () => {
    expect(presetConfig('llava-1.5-7b')).toEqual({ config: llava15Config, preprocessor: llava15Preprocessor });
    expect(presetConfig('llava-v1.6-mistral-7b')).toEqual({ config: llavaNextConfig, preprocessor: llavaNextPreprocessor });
    const vicuna = presetConfig('llava-v1.6-vicuna-7b');
    expect(vicuna.preprocessor).toEqual(llavaNextPreprocessor);
    expect((vicuna.config['text_config'] as { _name_or_path: string })._name_or_path).toBe('lmsys/vicuna-7b-v1.5');
    // Every field the adapter reads is the llava-v1.6 one.
    for (const key of ['model_type', 'image_grid_pinpoints', 'image_token_index', 'vision_config', 'vision_feature_layer', 'vision_feature_select_strategy']) {
      expect(vicuna.config[key], key).toEqual(llavaNextConfig[key]);
    }
  });

  it('build adapters with the token counts of transformers', () => {
    // LLaVA-1.5: always 24×24 = 576. LLaVA-NeXT at 1100×808: 2340 (the same count the llava-next tests derive from HF's processor).
    expect(adapterFromPreset('llava-1.5-7b').imageTokenCount({ width: 1100, height: 808 })).toBe(576);
    expect(adapterFromPreset('llava-v1.6-mistral-7b').imageTokenCount({ width: 1100, height: 808 })).toBe(2340);
    expect(adapterFromPreset('llava-v1.6-vicuna-7b').imageTokenCount({ width: 1100, height: 808 })).toBe(2340);
    expect(adapterFromPreset('llava-v1.6-vicuna-7b').id).toBe('llava-next');
  });
});
