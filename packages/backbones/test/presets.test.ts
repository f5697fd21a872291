import { describe, expect, it } from 'vitest';
import { BackboneRegistry, KNOWN_PRESET_PACKAGES, type BackbonePreset } from '../src/index.js';
import { thrown } from './errors.js';
import { toyTiles } from './toy.js';

const toyPreset: BackbonePreset = {
  name: 'toy-3',
  repo: 'example/toy-3',
  package: '@example/toy',
  config: { model_type: 'toy_tiles', side: 3 },
  preprocessor: {},
};

describe('presets', () => {
  it('registers a preset, lists it, and builds its adapter from the shipped files', () => {
    const registry = new BackboneRegistry().register(toyTiles).registerPreset(toyPreset);
    expect(registry.presetNames()).toEqual(['toy-3']);
    const adapter = registry.adapterFromPreset('toy-3');
    expect(adapter.id).toBe('toy-tiles');
    expect(adapter.layout({ width: 10, height: 10 }).tokens).toBe(9 + 15);
  });

  it('hands out copies: changing a returned config does not change the preset', () => {
    const registry = new BackboneRegistry().register(toyTiles).registerPreset(toyPreset);
    const copy = registry.preset('toy-3');
    (copy.config as { side: number }).side = 5;
    expect(registry.preset('toy-3').config).toEqual({ model_type: 'toy_tiles', side: 3 });
    expect(registry.adapterFromPreset('toy-3').layout({ width: 10, height: 10 }).tokens).toBe(24);
  });

  it('an unknown preset is E_BACKBONE_UNKNOWN listing the registered presets and the package to import', () => {
    const registry = new BackboneRegistry().registerPreset(toyPreset);
    const shipped = thrown(() => registry.preset('llava-1.5-7b'), 'E_BACKBONE_UNKNOWN');
    expect(shipped.message).toBe(
      'Unknown backbone preset "llava-1.5-7b". Registered presets: toy-3. Import "@resprune/backbone-llava/register" to add it.',
    );
    const other = thrown(() => registry.adapterFromPreset('gpt-5'), 'E_BACKBONE_UNKNOWN');
    expect(other.message).toContain('Registered presets: toy-3.');
    expect(other.message).toContain(`Presets this repository ships: ${Object.keys(KNOWN_PRESET_PACKAGES).join(', ')}.`);
    expect(thrown(() => new BackboneRegistry().preset('x'), 'E_BACKBONE_UNKNOWN').message).toContain('Registered presets: none.');
  });

  it('a preset whose family is not registered fails like an unknown model_type', () => {
    const registry = new BackboneRegistry().registerPreset(toyPreset);
    expect(thrown(() => registry.adapterFromPreset('toy-3'), 'E_BACKBONE_UNKNOWN').message).toContain('model_type "toy_tiles"');
  });

  it('rejects duplicates without override, and malformed presets', () => {
    const registry = new BackboneRegistry().registerPreset(toyPreset);
    expect(thrown(() => registry.registerPreset(toyPreset), 'E_BACKBONE_DUPLICATE').message).toContain('"toy-3" is already registered');
    registry.registerPreset({ ...toyPreset, repo: 'example/other' }, { override: true });
    expect(registry.preset('toy-3').repo).toBe('example/other');
    thrown(() => registry.registerPreset({ ...toyPreset, name: 'Bad Name' }), 'E_INVALID_OPTION');
    thrown(() => registry.registerPreset({ ...toyPreset, config: null as never }), 'E_INVALID_OPTION');
  });
});
