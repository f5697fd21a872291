import { describe, expect, it } from 'vitest';
import { backbones } from '@resprune/backbones';
import { qwen25Config, qwen25Preprocessor, qwen2Config } from './fixtures.js';

describe('@resprune/backbone-qwen-vl/register', () => {
  it('adds the specs to the default registry, once', async () => {
    await import('../src/register.js');
    await import('../src/register.js');
    expect(backbones.fromConfig(qwen25Config, qwen25Preprocessor).imageTokenCount({ width: 1008, height: 1008 })).toBe(1296);
    expect(backbones.fromConfig(qwen2Config).id).toBe('qwen2-vl');
  });
});
