import { describe, expect, it } from 'vitest';
import { backbones } from '@resprune/backbones';
import { smolConfig, smolPreprocessor } from './fixtures.js';

describe('@resprune/backbone-idefics3/register', () => {
  it('adds the specs to the default registry, once', async () => {
    await import('../src/register.js');
    await import('../src/register.js');
    expect(backbones.fromConfig(smolConfig, smolPreprocessor).imageTokenCount({ width: 1100, height: 808 })).toBe(832);
    expect(backbones.fromConfig({ ...smolConfig, model_type: 'idefics3' }).id).toBe('idefics3');
  });
});
