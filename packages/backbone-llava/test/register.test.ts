import { describe, expect, it } from 'vitest';
import { backbones } from '@resprune/backbones';
import { llavaNextConfig, llava15Config } from './fixtures.js';

describe('@resprune/backbone-llava/register', () => {
  it('adds both specs to the default registry, once', async () => {
    await import('../src/register.js');
    await import('../src/register.js');
    expect(backbones.has('llava-1.5') && backbones.has('llava-next')).toBe(true);
    expect(backbones.fromConfig(llava15Config).id).toBe('llava-1.5');
    expect(backbones.fromConfig(llavaNextConfig).imageTokenCount({ width: 1100, height: 808 })).toBe(2340);
  });
});
