import { describe, expect, it } from 'vitest';
import type { BackboneAdapter, VisualLayout } from '../src/index.js';
import {
  CONFORMANCE_SIZES,
  checkCompactionInvariants,
  checkLayoutInvariants,
  describeBackboneConformance,
} from '../src/testing.js';
import { tilesAdapter, toyMrope, toyTiles } from './toy.js';

// The suite, run on the two toy backbones of this package.
describeBackboneConformance(toyTiles, {
  config: { model_type: 'toy_tiles', side: 2 },
  expectedTokens: [{ size: { width: 50, height: 50 }, tokens: 19 }],
  invalidConfigs: [{ config: { model_type: 'toy_tiles' } }, { config: { model_type: 'toy_tiles', side: 0 } }],
});
describeBackboneConformance(toyMrope, {
  config: { model_type: 'toy_mrope' },
  expectedTokens: [{ size: { width: 1008, height: 1008 }, tokens: 1296 }],
});

// The checks must fail on broken adapters, or the suite proves nothing.
function tamper(adapter: BackboneAdapter, change: (layout: VisualLayout) => VisualLayout): BackboneAdapter {
  return { ...adapter, layout: (images) => change(adapter.layout(images)) };
}

describe('conformance checks catch broken adapters', () => {
  it('a token count that disagrees with the layout', () => {
    const broken = { ...tilesAdapter, imageTokenCount: () => 20 };
    expect(() => checkLayoutInvariants(broken, CONFORMANCE_SIZES)).toThrow(/imageTokenCount != layout.tokens/);
  });

  it('newline indices off by one', () => {
    const broken = tamper(tilesAdapter, (l) => ({ ...l, newlines: l.newlines.map((i) => i - 1) }));
    expect(() => checkLayoutInvariants(broken, [{ width: 10, height: 10 }])).toThrow(/newline indices/);
  });

  it('views that leave a gap', () => {
    const broken = tamper(tilesAdapter, (l) => ({ ...l, views: l.views.map((v, k) => (k === 1 ? { ...v, start: v.start + 1 } : v)) }));
    expect(() => checkLayoutInvariants(broken, [{ width: 10, height: 10 }])).toThrow(/starts at/);
  });

  it('multi-image layouts that are not the single ones placed in order', () => {
    const broken = tamper(tilesAdapter, (l) => ({ ...l, images: [...l.images].reverse().map((i, k) => ({ ...i, index: k })) }));
    const sizes = [{ width: 10, height: 10 }, { width: 20, height: 20 }];
    expect(() => checkLayoutInvariants({ ...broken, layout: (images) => (Array.isArray(images) && images.length > 1 ? broken.layout(images) : tilesAdapter.layout(images)) }, sizes)).toThrow(/multi-image/);
  });

  it('a lying position scheme: a layout that claims another scheme than its adapter', () => {
    const mrope = toyMrope.create({});
    // The layout says 'sequential' while the adapter (and the model) use M-RoPE: compaction would
    // follow the lie and hand out 0 … n − 1 instead of (t, row, col) ids, so the layout check must fail.
    const lying = tamper(mrope, (l) => ({ ...l, positionScheme: 'sequential' as const }));
    expect(() => checkLayoutInvariants(mrope, [{ width: 84, height: 56 }])).not.toThrow();
    expect(() => checkLayoutInvariants(lying, [{ width: 84, height: 56 }])).toThrow(/84x56: layout\.positionScheme differs from the adapter's/);
  });

  it('image spans that do not add up to the layout', () => {
    const layout = toyMrope.create({}).layout({ width: 84, height: 56 });
    expect(() => checkCompactionInvariants(layout)).not.toThrow();
    const gap = { ...layout, images: [{ ...layout.images[0]!, length: layout.images[0]!.length + 1 }] };
    expect(() => checkCompactionInvariants(gap)).toThrow();
  });
});
