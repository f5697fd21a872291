import { describe, expect, it } from 'vitest';
import { configField, readChoice, readInt, readIntPairs, readObject, readTokenId, validateImageSize } from '../src/index.js';
import { thrown } from './errors.js';

const config = {
  model_type: 'x',
  vision_config: { image_size: 336, patch_size: 14, zero: 0 },
  pinpoints: [[336, 672], [672, 336]],
  strategy: 'default',
  image_token_index: 32000,
};

describe('config readers', () => {
  it('read nested fields', () => {
    expect(configField(config, 'vision_config.patch_size')).toBe(14);
    expect(configField(config, 'vision_config.nope.deeper')).toBeUndefined();
    expect(readInt(config, 'vision_config.image_size')).toBe(336);
    expect(readInt(config, 'vision_config.zero', { min: 0 })).toBe(0);
    expect(readInt(config, 'missing', { fallback: 5 })).toBe(5);
    expect(readObject(config, 'vision_config')).toBe(config.vision_config);
    expect(readIntPairs(config, 'pinpoints')).toEqual([[336, 672], [672, 336]]);
    expect(readChoice(config, 'strategy', ['default', 'full'] as const, 'full')).toBe('default');
    expect(readChoice(config, 'absent', ['default', 'full'] as const, 'full')).toBe('full');
    expect(readTokenId(config, ['image_token_id', 'image_token_index'])).toBe(32000);
    expect(readTokenId(config, ['nope'])).toBeUndefined();
  });

  it('name the file, the field, the value and what was expected', () => {
    expect(thrown(() => readInt(config, 'vision_config.hidden'), 'E_BACKBONE_CONFIG').message).toBe(
      'config.json: "vision_config.hidden" is missing; expected an integer >= 1',
    );
    expect(thrown(() => readInt(config, 'vision_config.zero'), 'E_BACKBONE_CONFIG').message).toBe(
      'config.json: "vision_config.zero" is 0; expected an integer >= 1',
    );
    expect(thrown(() => readInt({ a: 1.5 }, 'a', { file: 'preprocessor_config.json' }), 'E_BACKBONE_CONFIG').message).toContain(
      'preprocessor_config.json: "a" is 1.5',
    );
    thrown(() => readInt({ a: '14' }, 'a'), 'E_BACKBONE_CONFIG');
    thrown(() => readObject(config, 'strategy'), 'E_BACKBONE_CONFIG');
    thrown(() => readObject(config, 'pinpoints'), 'E_BACKBONE_CONFIG');
    thrown(() => readIntPairs({ p: [] }, 'p'), 'E_BACKBONE_CONFIG');
    thrown(() => readIntPairs({ p: [[336]] }, 'p'), 'E_BACKBONE_CONFIG');
    thrown(() => readIntPairs({ p: [[336, 0]] }, 'p'), 'E_BACKBONE_CONFIG');
    expect(thrown(() => readChoice(config, 'strategy', ['full'] as const, 'full'), 'E_BACKBONE_CONFIG').message).toContain(
      'expected one of "full"',
    );
  });

  it('validate image sizes', () => {
    expect(() => validateImageSize({ width: 1, height: 1 })).not.toThrow();
    for (const bad of [
      { width: 0, height: 5 },
      { width: 5, height: 0 },
      { width: -1, height: 5 },
      { width: 2.5, height: 5 },
      { width: Number.NaN, height: 5 },
      { width: Number.POSITIVE_INFINITY, height: 5 },
      { width: 2 ** 30, height: 2 ** 30 },
    ]) {
      expect(thrown(() => validateImageSize(bad), 'E_IMAGE_SIZE').message).toMatch(/size must be integers/);
    }
    thrown(() => validateImageSize(null as never), 'E_IMAGE_SIZE');
  });
});
