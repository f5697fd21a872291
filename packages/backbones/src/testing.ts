/**
 * The conformance suite every backbone adapter runs against itself, in this repository or outside
 * it: `describeBackboneConformance(spec, fixture)` in a Vitest test file. The checks are also
 * exported as plain functions that throw on the first violation, for other test runners.
 *
 * Needs `vitest` (an optional peer dependency of `@resprune/backbones`).
 *
 * @example
 * ```ts
 * // test/conformance.test.ts of an adapter package
 * import { describeBackboneConformance } from '@resprune/backbones/testing';
 * import { mySpec } from '../src/index.js';
 * import config from './fixtures/config.json' with { type: 'json' };
 *
 * describeBackboneConformance(mySpec, { config, expectedTokens: [{ size: { width: 336, height: 336 }, tokens: 576 }] });
 * ```
 * @module testing
 */
import { describe, expect, it } from 'vitest';
import { isResPruneError, type ErrorCode } from '@resprune/errors';
import type { BackboneAdapter } from './adapter.js';
import { mergeSelections, planBudget, type Budget } from './budget.js';
import { compact, type PromptPart } from './compact.js';
import { layoutToJson, tokenInfo } from './layout.js';
import { BackboneRegistry, type BackboneSpec } from './registry.js';
import type { BudgetPolicy, HfConfigLike, ImageSize, NewlinePolicy, VisualLayout } from './types.js';

/**
 * What an adapter package gives the conformance suite: a real config and what it knows about it.
 *
 * @example
 * ```ts
 * const fixture: ConformanceFixture = { config, preprocessor, expectedTokens: [{ size: { width: 1008, height: 1008 }, tokens: 1296 }] };
 * ```
 */
export interface ConformanceFixture {
  /** A `config.json` the spec accepts (preferably a real published one). */
  readonly config: HfConfigLike;
  /** The matching `preprocessor_config.json`, for families that read it. */
  readonly preprocessor?: HfConfigLike;
  /** Image sizes to check (default {@link CONFORMANCE_SIZES}). */
  readonly imageSizes?: readonly ImageSize[];
  /** Known token counts (for example from the HF processor) that the adapter must reproduce. */
  readonly expectedTokens?: ReadonlyArray<{ readonly size: ImageSize; readonly tokens: number }>;
  /** Configs the spec must reject with `E_BACKBONE_CONFIG`. */
  readonly invalidConfigs?: ReadonlyArray<{ readonly config: HfConfigLike; readonly preprocessor?: HfConfigLike }>;
  /** Valid-looking sizes the processor rejects (`E_IMAGE_SIZE`), e.g. extreme aspect ratios. */
  readonly invalidSizes?: readonly ImageSize[];
}

/**
 * Default image sizes of the suite: square, wide, tall, tiny and huge, all with aspect ratios ≤ 200
 * (which every processor accepts).
 *
 * @example
 * ```ts
 * describeBackboneConformance(spec, { config, imageSizes: [...CONFORMANCE_SIZES, { width: 77, height: 33 }] });
 * ```
 */
export const CONFORMANCE_SIZES: readonly ImageSize[] = [
  { width: 336, height: 336 },
  { width: 640, height: 480 },
  { width: 1100, height: 808 },
  { width: 1600, height: 400 },
  { width: 300, height: 1200 },
  { width: 1, height: 1 },
  { width: 7, height: 5 },
  { width: 4000, height: 20 },
  { width: 30, height: 2500 },
  { width: 8000, height: 6000 },
];

function fail(message: string): never {
  throw new Error(`conformance: ${message}`);
}

function expectCode(fn: () => unknown, code: ErrorCode, what: string): void {
  try {
    fn();
  } catch (error) {
    if (isResPruneError(error) && error.code === code) return;
    fail(`${what}: expected ResPruneError ${code}, got ${isResPruneError(error) ? error.code : String(error)}`);
  }
  fail(`${what}: expected ResPruneError ${code}, but nothing was thrown`);
}

function sizeName(s: ImageSize): string {
  return `${s.width}x${s.height}`;
}

/**
 * Checks the layout invariants of an adapter for some image sizes: counts agree with
 * `imageTokenCount`, views are contiguous and sized `rows × (cols + newline)`, newline indices are
 * the last token of each row of views with newlines, `tokenInfo` agrees, multi-image layouts are the
 * single layouts placed one after the other, and layouts are deterministic.
 *
 * @param adapter - the adapter
 * @param sizes - image sizes to check
 * @throws Error describing the first violation
 * @example
 * ```ts
 * checkLayoutInvariants(adapter, CONFORMANCE_SIZES);
 * ```
 */
export function checkLayoutInvariants(adapter: BackboneAdapter, sizes: readonly ImageSize[]): void {
  const singles: VisualLayout[] = [];
  for (const size of sizes) {
    const name = sizeName(size);
    const layout = adapter.layout(size);
    singles.push(layout);
    if (layout.backbone !== adapter.id) fail(`${name}: layout.backbone "${layout.backbone}" != adapter.id "${adapter.id}"`);
    if (layout.modelType !== adapter.modelType) fail(`${name}: layout.modelType differs from adapter.modelType`);
    if (layout.positionScheme !== adapter.positionScheme) fail(`${name}: layout.positionScheme differs from the adapter's`);
    if (!Number.isSafeInteger(layout.tokens) || layout.tokens < 1) fail(`${name}: ${layout.tokens} tokens`);
    if (adapter.imageTokenCount(size) !== layout.tokens) fail(`${name}: imageTokenCount != layout.tokens`);
    if (layout.images.length !== 1) fail(`${name}: one image gave ${layout.images.length} image spans`);
    const image = layout.images[0]!;
    if (image.start !== 0 || image.length !== layout.tokens) fail(`${name}: image span ${image.start}+${image.length}`);
    if (image.size.width !== size.width || image.size.height !== size.height) fail(`${name}: image size not recorded`);
    let offset = 0;
    const newlines: number[] = [];
    layout.views.forEach((v, k) => {
      if (v.index !== k || v.image !== 0) fail(`${name}: view ${k} has index ${v.index}, image ${v.image}`);
      if (v.start !== offset) fail(`${name}: view ${k} starts at ${v.start}, expected ${offset}`);
      const width = v.cols + (v.newlineAfterRow ? 1 : 0);
      if (v.length !== v.rows * width) fail(`${name}: view ${k} length ${v.length} != rows × (cols + newline)`);
      if (v.newlineAfterRow) for (let r = 0; r < v.rows; r++) newlines.push(v.start + r * width + v.cols);
      offset += v.length;
    });
    if (offset !== layout.tokens) fail(`${name}: views cover ${offset} tokens, layout says ${layout.tokens}`);
    if (JSON.stringify(newlines) !== JSON.stringify(layout.newlines)) fail(`${name}: newline indices disagree with the views`);
    const newlineSet = new Set(layout.newlines);
    const step = Math.max(1, Math.floor(layout.tokens / 3000));
    for (let i = 0; i < layout.tokens; i += step) {
      const info = tokenInfo(layout, i);
      const v = layout.views[info.view]!;
      if (i < v.start || i >= v.start + v.length) fail(`${name}: tokenInfo(${i}) names view ${info.view} which does not hold it`);
      if (info.newline !== newlineSet.has(i)) fail(`${name}: tokenInfo(${i}).newline disagrees with layout.newlines`);
      if (info.row >= v.rows || info.col > v.cols) fail(`${name}: tokenInfo(${i}) row/col outside the view`);
    }
    if (JSON.stringify(layoutToJson(adapter.layout(size))) !== JSON.stringify(layoutToJson(layout))) {
      fail(`${name}: layout is not deterministic`);
    }
  }
  if (sizes.length > 1) {
    const multi = adapter.layout(sizes);
    if (multi.images.length !== sizes.length) fail(`multi-image layout has ${multi.images.length} images for ${sizes.length} sizes`);
    let start = 0;
    let viewIndex = 0;
    multi.images.forEach((image, k) => {
      const single = singles[k]!;
      if (image.start !== start || image.length !== single.tokens) fail(`multi-image: image ${k} span differs from its single layout`);
      image.views.forEach((v, j) => {
        const s = single.views[j]!;
        if (v.index !== viewIndex++ || v.image !== k || v.start !== s.start + start || v.rows !== s.rows || v.cols !== s.cols) {
          fail(`multi-image: image ${k} view ${j} is not its single layout shifted by ${start}`);
        }
      });
      start += image.length;
    });
    if (multi.tokens !== start) fail('multi-image: total tokens != sum of images');
    const expected = singles.flatMap((s, k) => s.newlines.map((i) => i + multi.images[k]!.start));
    if (JSON.stringify(expected) !== JSON.stringify(multi.newlines)) fail('multi-image: newline indices are not shifted single ones');
  }
}

const POLICIES: readonly BudgetPolicy[] = ['global', 'per-view', 'per-crop'];
const NEWLINE_RULES: readonly NewlinePolicy[] = ['drop', 'keep', 'keep-rows', 'select'];

/**
 * Checks budget plans on a layout under every policy and newline rule: units are disjoint,
 * ascending, inside one image, and cover exactly the candidates (newlines only under `select`);
 * quotas lie in [min(minTokens, n), n] and give every image at least ⌈n_image × f⌉; `keep ≥ all`
 * keeps everything.
 *
 * @param layout - a layout (several images make the quota check meaningful)
 * @param minTokens - the guard to plan with (default 2)
 * @throws Error describing the first violation
 * @example
 * ```ts
 * checkPlanInvariants(adapter.layout([{ width: 64, height: 64 }, { width: 2000, height: 1500 }]));
 * ```
 */
export function checkPlanInvariants(layout: VisualLayout, minTokens = 2): void {
  const newlineSet = new Set(layout.newlines);
  for (const newlines of NEWLINE_RULES) {
    const candidates = layout.tokens - (newlines === 'select' ? 0 : layout.newlines.length);
    const budgets: Budget[] = [
      { keep: 1 },
      { keep: Math.max(1, Math.floor(candidates / 3)) },
      { keep: candidates + 5 },
      { ratio: 0.1 },
      { ratio: 1 },
      { energy: 0.9 },
    ];
    for (const policy of POLICIES) {
      for (const budget of budgets) {
        const what = `${policy}/${newlines}/${JSON.stringify(budget)}`;
        const plan = planBudget(layout, budget, { policy, newlines, minTokens });
        if (plan.candidates !== candidates) fail(`${what}: ${plan.candidates} candidates, expected ${candidates}`);
        const seen = new Set<number>();
        const perImage = new Array<number>(layout.images.length).fill(0);
        const perImageKeep = new Array<number>(layout.images.length).fill(0);
        for (const unit of plan.units) {
          const image = layout.images[unit.image]!;
          const n = unit.candidates.length;
          if (n === 0) fail(`${what}: empty unit ${unit.label}`);
          if (policy === 'global' && unit.view !== undefined) fail(`${what}: a global unit names a view`);
          unit.candidates.forEach((i, j) => {
            if (j > 0 && unit.candidates[j - 1]! >= i) fail(`${what}: ${unit.label} candidates not ascending`);
            if (i < image.start || i >= image.start + image.length) fail(`${what}: ${unit.label} holds ${i}, outside its image`);
            if (seen.has(i)) fail(`${what}: token ${i} is in two units`);
            if (newlineSet.has(i) && newlines !== 'select') fail(`${what}: newline ${i} is a candidate under "${newlines}"`);
            seen.add(i);
          });
          perImage[unit.image]! += n;
          const b = unit.budget as { keep?: number; energy?: number; minKeep?: number; maxKeep?: number };
          if ('energy' in budget) {
            if (b.energy !== budget.energy || b.minKeep! < Math.min(minTokens, n) || b.minKeep! > n) {
              fail(`${what}: ${unit.label} energy budget ${JSON.stringify(b)}`);
            }
            continue;
          }
          const q = b.keep!;
          if (!Number.isSafeInteger(q) || q < Math.min(minTokens, n) || q > n) fail(`${what}: ${unit.label} quota ${q} of ${n}`);
          perImageKeep[unit.image]! += q;
        }
        if (seen.size !== candidates) fail(`${what}: units cover ${seen.size} tokens, expected ${candidates}`);
        if ('energy' in budget) continue;
        const f = 'ratio' in budget ? budget.ratio : Math.min(1, budget.keep / candidates);
        perImage.forEach((n, k) => {
          const floor = Math.min(n, Math.ceil(n * f - 1e-9));
          if (perImageKeep[k]! < floor) fail(`${what}: image ${k} keeps ${perImageKeep[k]} < ⌈${n} × ${f}⌉`);
        });
        if ('keep' in budget && budget.keep >= candidates && plan.total !== candidates) fail(`${what}: keep >= all did not keep all`);
      }
    }
  }
}

/**
 * Checks compaction on a layout with text around every image: all text rows stay, rows are
 * ascending, positions follow the scheme (sequential: 0 … n − 1; mrope: kept rows keep the ids they
 * have without pruning, and text after each image resumes where it would without pruning), and bad
 * selections are rejected.
 *
 * @param layout - a layout
 * @throws Error describing the first violation
 * @example
 * ```ts
 * checkCompactionInvariants(adapter.layout([{ width: 640, height: 480 }, { width: 100, height: 900 }]));
 * ```
 */
export function checkCompactionInvariants(layout: VisualLayout): void {
  const prompt: PromptPart[] = [{ text: 3 }];
  layout.images.forEach((_, image) => prompt.push({ image }, { text: 2 + image }));
  const textRows = new Set<number>();
  let row = 0;
  for (const part of prompt) {
    if ('text' in part) for (let t = 0; t < part.text; t++) textRows.add(row + t);
    row += 'text' in part ? part.text : layout.images[part.image]!.length;
  }
  const totalRows = row;
  const newlineSet = new Set(layout.newlines);
  const all = Array.from({ length: layout.tokens }, (_, i) => i).filter((i) => !newlineSet.has(i));
  const full = compact(layout, all, { prompt, newlines: 'keep' });
  if (full.length !== totalRows || full.keep.length !== totalRows) fail('keeping everything did not keep every row');
  if (full.positions.scheme !== layout.positionScheme) fail('positions use another scheme than the layout');
  if (full.positions.scheme === 'sequential') {
    full.positions.ids.forEach((p, j) => p !== j && fail(`sequential position ${j} is ${p}`));
  } else {
    // Reference M-RoPE ids of the unpruned sequence, computed from the layout alone.
    let next = 0;
    let j = 0;
    for (const part of prompt) {
      if ('text' in part) {
        for (let t = 0; t < part.text; t++, j++) {
          const p = full.positions.ids[j]!;
          if (p[0] !== next + t || p[1] !== next + t || p[2] !== next + t) fail(`text row ${j} has ids ${p}`);
        }
        next += part.text;
        continue;
      }
      const image = layout.images[part.image]!;
      let extent = 0;
      for (let i = image.start; i < image.start + image.length; i++, j++) {
        const info = tokenInfo(layout, i);
        const p = full.positions.ids[j]!;
        if (p[0] !== next || p[1] !== next + info.row || p[2] !== next + info.col) fail(`visual token ${i} has ids ${p}`);
        extent = Math.max(extent, info.row + 1, info.col + 1);
      }
      next += extent;
    }
    if (full.nextPosition !== next) fail(`nextPosition ${full.nextPosition}, expected ${next}`);
  }
  // A sparse selection: every third candidate, plus the first candidate of each image.
  const picked = new Set(all.filter((_, k) => k % 3 === 0));
  for (const image of layout.images) {
    const first = all.find((i) => i >= image.start && i < image.start + image.length);
    if (first !== undefined) picked.add(first);
  }
  const kept = [...picked].reverse();
  for (const newlines of NEWLINE_RULES) {
    const out = compact(layout, kept, { prompt, newlines });
    const visualSet = new Set(out.visual);
    out.keep.forEach((r, j) => j > 0 && out.keep[j - 1]! >= r && fail(`${newlines}: kept rows not ascending`));
    const keptRows = new Set(out.keep);
    for (const r of textRows) if (!keptRows.has(r)) fail(`${newlines}: text row ${r} was dropped`);
    if (out.keep.length !== textRows.size + out.visual.length) fail(`${newlines}: rows != text + kept visual tokens`);
    for (const i of kept) if (!visualSet.has(i)) fail(`${newlines}: selected token ${i} was dropped`);
    const extra = out.visual.filter((i) => !picked.has(i));
    if (extra.some((i) => !newlineSet.has(i))) fail(`${newlines}: a token nobody selected was kept`);
    if (newlines === 'drop' && extra.length > 0) fail('drop: a newline was kept');
    if (newlines === 'keep' && extra.length !== layout.newlines.length) fail('keep: not every newline was kept');
    if (out.positions.scheme === 'sequential') {
      out.positions.ids.forEach((p, j) => p !== j && fail(`${newlines}: sequential position ${j} is ${p}`));
      if (out.nextPosition !== out.keep.length) fail(`${newlines}: sequential nextPosition`);
    } else {
      const fullIds = full.positions.ids as ReadonlyArray<readonly [number, number, number]>;
      const byRow = new Map(full.keep.map((r, j) => [r, fullIds[j]!] as const));
      const outIds = out.positions.ids;
      out.keep.forEach((r, j) => {
        const p = outIds[j]!;
        const q = byRow.get(r)!;
        if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) fail(`${newlines}: row ${r} has ids ${p}, unpruned ${q}`);
      });
      if (out.nextPosition !== full.nextPosition) fail(`${newlines}: text after the images does not resume as unpruned`);
    }
  }
  // A plan executed by "first q candidates of each unit" compacts cleanly.
  const plan = planBudget(layout, { ratio: 0.25 });
  const merged = mergeSelections(
    plan,
    plan.units.map((u) => Array.from({ length: (u.budget as { keep: number }).keep }, (_, i) => i)),
  );
  compact(layout, merged, { prompt, newlines: plan.newlines });
  expectCode(() => compact(layout, [layout.tokens], { prompt }), 'E_INVALID_OPTION', 'an out-of-range index');
  expectCode(() => compact(layout, [all[0]!, all[0]!], { prompt }), 'E_INVALID_OPTION', 'a repeated index');
  expectCode(() => compact(layout, [], { prompt }), 'E_BUDGET', 'an empty selection (minimum-tokens guard)');
}

/**
 * Registers a Vitest suite that holds a backbone spec to the adapter contract: registry behaviour,
 * config parsing, layouts for many image sizes (and known token counts), typed errors for bad sizes
 * and configs, budget plans and compaction.
 *
 * @param spec - the spec under test
 * @param fixture - a config it accepts, and what is known about it
 * @example
 * ```ts
 * describeBackboneConformance(llavaNext, { config, preprocessor, expectedTokens: [{ size: { width: 1100, height: 808 }, tokens: 2340 }] });
 * ```
 */
export function describeBackboneConformance<T>(spec: BackboneSpec<T>, fixture: ConformanceFixture): void {
  const sizes = fixture.imageSizes ?? CONFORMANCE_SIZES;
  const build = (): BackboneAdapter => new BackboneRegistry().register(spec).fromConfig(fixture.config, fixture.preprocessor);

  describe(`backbone conformance: ${spec.id}`, () => {
    it('has a kebab-case id and claims the fixture model_type', () => {
      expect(spec.id).toMatch(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/);
      expect(spec.modelTypes).toContain(fixture.config.model_type);
    });

    it('registers once, refuses a duplicate id, accepts an explicit override, resolves by model_type', () => {
      const registry = new BackboneRegistry().register(spec);
      expect(registry.ids()).toEqual([spec.id]);
      expectCode(() => registry.register(spec), 'E_BACKBONE_DUPLICATE', 'registering twice');
      expect(() => registry.register(spec, { override: true })).not.toThrow();
      expect(registry.resolve(fixture.config)).toBe(spec);
      expectCode(
        () => registry.fromConfig({ ...fixture.config, model_type: 'no_such_model_type' }),
        'E_BACKBONE_UNKNOWN',
        'an unknown model_type',
      );
    });

    it('builds an adapter from the fixture config', () => {
      const adapter = build();
      expect(adapter.id).toBe(spec.id);
      expect(adapter.modelType).toBe(fixture.config.model_type);
      expect(['sequential', 'mrope']).toContain(adapter.positionScheme);
    });

    it.each((fixture.invalidConfigs ?? []).map((c, i) => [i, c] as const))('rejects invalid config #%i with E_BACKBONE_CONFIG', (_, bad) => {
      expectCode(() => new BackboneRegistry().register(spec).fromConfig(bad.config, bad.preprocessor), 'E_BACKBONE_CONFIG', 'an invalid config');
    });

    it('lays out every image size consistently (one image and all together)', () => {
      checkLayoutInvariants(build(), sizes);
    });

    it.each((fixture.expectedTokens ?? []).map((e) => [sizeName(e.size), e] as const))('reproduces the known token count for %s', (_, e) => {
      expect(build().imageTokenCount(e.size)).toBe(e.tokens);
    });

    it('rejects bad image sizes with E_IMAGE_SIZE and an empty list with E_EMPTY_INPUT', () => {
      const adapter = build();
      const bad: unknown[] = [
        { width: 0, height: 10 },
        { width: 10, height: 0 },
        { width: -5, height: 10 },
        { width: 10.5, height: 10 },
        { width: Number.NaN, height: 10 },
        { width: Number.POSITIVE_INFINITY, height: 10 },
        { width: '10', height: 10 },
        ...(fixture.invalidSizes ?? []),
      ];
      for (const size of bad) expectCode(() => adapter.layout(size as ImageSize), 'E_IMAGE_SIZE', `size ${JSON.stringify(size)}`);
      expectCode(() => adapter.layout([]), 'E_EMPTY_INPUT', 'no images');
    });

    it('plans budgets with per-image quotas (a small and a large image in one prompt)', () => {
      const adapter = build();
      const small = sizes.reduce((a, b) => (adapter.imageTokenCount(a) <= adapter.imageTokenCount(b) ? a : b));
      const large = sizes.reduce((a, b) => (adapter.imageTokenCount(a) >= adapter.imageTokenCount(b) ? a : b));
      checkPlanInvariants(adapter.layout([small, large, { width: 640, height: 480 }]));
    });

    it('compacts the LLM input: all text stays, positions follow the scheme', () => {
      const adapter = build();
      checkCompactionInvariants(adapter.layout([{ width: 640, height: 480 }, { width: 300, height: 1200 }]));
      checkCompactionInvariants(adapter.layout({ width: 1100, height: 808 }));
    });
  });
}

