import { describe, expect, it } from 'vitest';
import { ResPruneError } from '@resprune/errors';
import { BackboneRegistry, backbones, createAdapter, defineBackbone, type BackboneSpec } from '../src/index.js';
import { thrown } from './errors.js';
import { toyMrope, toyTiles } from './toy.js';

describe('BackboneRegistry', () => {
  it('registers, lists and resolves specs by model_type', () => {
    const registry = new BackboneRegistry().register(toyTiles).register(toyMrope);
    expect(registry.ids()).toEqual(['toy-mrope', 'toy-tiles']);
    expect(registry.modelTypes()).toEqual(['toy_mrope', 'toy_tiles']);
    expect(registry.has('toy-tiles')).toBe(true);
    expect(registry.get('toy-tiles')).toBe(toyTiles);
    expect(registry.resolve({ model_type: 'toy_mrope' })).toBe(toyMrope);
    const adapter = registry.fromConfig({ model_type: 'toy_tiles', side: 3 });
    expect(adapter.id).toBe('toy-tiles');
    expect(adapter.layout({ width: 10, height: 10 }).tokens).toBe(9 + 15);
    expect(registry.unregister('toy-tiles')).toBe(true);
    expect(registry.has('toy-tiles')).toBe(false);
  });

  it('throws E_BACKBONE_DUPLICATE for a second registration of an id, unless override is set', () => {
    const registry = new BackboneRegistry().register(toyTiles);
    const error = thrown(() => registry.register(toyTiles), 'E_BACKBONE_DUPLICATE');
    expect(error.message).toContain('"toy-tiles" is already registered');
    expect(error.message).toContain('override');
    const replacement: BackboneSpec<{ side: number }> = { ...toyTiles };
    registry.register(replacement, { override: true });
    expect(registry.get('toy-tiles')).toBe(replacement);
  });

  it('names what is registered and the package to import for an unknown model_type', () => {
    const empty = new BackboneRegistry();
    const known = thrown(() => empty.resolve({ model_type: 'qwen2_5_vl' }), 'E_BACKBONE_UNKNOWN');
    expect(known.message).toContain('Unknown backbone model_type "qwen2_5_vl"');
    expect(known.message).toContain('Registered: none');
    expect(known.message).toContain('"@resprune/backbone-qwen-vl/register"');
    const registry = new BackboneRegistry().register(toyTiles);
    const unknown = thrown(() => registry.fromConfig({ model_type: 'mystery_vlm' }), 'E_BACKBONE_UNKNOWN');
    expect(unknown.message).toContain('toy-tiles (toy_tiles from @example/toy)');
    expect(unknown.message).toContain('adding-a-backbone');
    expect(thrown(() => registry.get('llava-next'), 'E_BACKBONE_UNKNOWN').message).toContain('id "llava-next"');
  });

  it('reports a config without model_type as E_BACKBONE_CONFIG', () => {
    const registry = new BackboneRegistry().register(toyTiles);
    expect(thrown(() => registry.fromConfig({}), 'E_BACKBONE_CONFIG').message).toContain('"model_type" is missing');
    thrown(() => registry.fromConfig({ model_type: 42 } as never), 'E_BACKBONE_CONFIG');
  });

  it('passes typed config errors through and wraps other errors with their cause', () => {
    const registry = new BackboneRegistry().register(toyTiles);
    expect(thrown(() => registry.fromConfig({ model_type: 'toy_tiles' }), 'E_BACKBONE_CONFIG').message).toBe(
      'config.json: "side" is missing; expected an integer >= 1',
    );
    const boom = new TypeError('cannot read properties of undefined');
    const broken = defineBackbone({ ...toyMrope, id: 'broken', parseConfig: () => { throw boom; } });
    const error = thrown(() => new BackboneRegistry().register(broken).fromConfig({ model_type: 'toy_mrope' }), 'E_BACKBONE_CONFIG');
    expect(error.message).toContain('Invalid config for backbone "broken"');
    expect((error as ResPruneError).cause).toBe(boom);
  });

  it('breaks ties between specs of one model_type with matches(), then the spec without matches()', () => {
    const make = (id: string, matches?: (c: { architectures?: readonly string[] }) => boolean): BackboneSpec<null> => ({
      id,
      modelTypes: ['shared'],
      ...(matches === undefined ? {} : { matches }),
      parseConfig: () => null,
      create: () => createAdapter({ id, modelType: 'shared', positionScheme: 'sequential', imageLayout: () => ({ views: [{ name: 'image', rows: 1, cols: 1 }] }) }),
    });
    const special = make('special', (c) => c.architectures?.includes('Special') === true);
    const registry = new BackboneRegistry().register(special).register(make('plain'));
    expect(registry.resolve({ model_type: 'shared', architectures: ['Special'] }).id).toBe('special');
    expect(registry.resolve({ model_type: 'shared', architectures: ['Other'] }).id).toBe('plain');
    const picky = new BackboneRegistry().register(special).register(make('other', () => false));
    thrown(() => picky.resolve({ model_type: 'shared' }), 'E_BACKBONE_UNKNOWN');
  });

  it('rejects malformed specs with E_INVALID_OPTION', () => {
    const registry = new BackboneRegistry();
    thrown(() => registry.register({ ...toyTiles, id: 'Bad Id' }), 'E_INVALID_OPTION');
    thrown(() => registry.register({ ...toyTiles, modelTypes: [] }), 'E_INVALID_OPTION');
    thrown(() => registry.register({ id: 'x' } as never), 'E_INVALID_OPTION');
  });

  it('keeps the default registry on globalThis so duplicate installs share it', () => {
    const key = Symbol.for('@resprune/backbones.registry');
    expect((globalThis as Record<symbol, unknown>)[key]).toBe(backbones);
    expect(backbones).toBeInstanceOf(BackboneRegistry);
  });
});
