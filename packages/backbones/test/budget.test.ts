import { describe, expect, it } from 'vitest';
import { ceilQuota, mergeSelections, planBudget, selectWithPlan, validateBudget, type BudgetPlan } from '../src/index.js';
import { thrown } from './errors.js';
import { mropeAdapter, tilesAdapter } from './toy.js';

const quotas = (plan: BudgetPlan): Array<[string, number[], number]> =>
  plan.units.map((u) => [u.label, [...u.candidates], (u.budget as { keep: number }).keep]);

describe('budget validation', () => {
  it('accepts exactly one of keep, ratio, energy within range', () => {
    expect(validateBudget({ keep: 1 })).toEqual({ keep: 1 });
    expect(validateBudget({ ratio: 1 })).toEqual({ ratio: 1 });
    expect(validateBudget({ energy: 0.5, minKeep: 2, maxKeep: 9 })).toEqual({ energy: 0.5, minKeep: 2, maxKeep: 9 });
    for (const bad of [
      { keep: 0 },
      { keep: 1.5 },
      { keep: -3 },
      { ratio: 0 },
      { ratio: 1.01 },
      { ratio: Number.NaN },
      { energy: 0 },
      { energy: Number.POSITIVE_INFINITY },
      { energy: 0.5, minKeep: 0 },
      { energy: 0.5, minKeep: 5, maxKeep: 4 },
      { keep: 5, ratio: 0.5 },
      {},
    ]) {
      thrown(() => validateBudget(bad as never), 'E_BUDGET');
    }
    expect(thrown(() => validateBudget({ keep: 3, minKeep: 1 } as never), 'E_BUDGET').message).toContain('energy budgets only');
  });

  it('rounds quotas up while forgiving floating-point noise', () => {
    expect(100 * 0.07).toBeGreaterThan(7);
    expect(ceilQuota(100 * 0.07)).toBe(7);
    expect(ceilQuota(576 * 0.2)).toBe(116);
    expect(ceilQuota(7.0000001)).toBe(8);
    expect(ceilQuota(0)).toBe(0);
  });
});

describe('planBudget', () => {
  const layout = tilesAdapter.layout({ width: 640, height: 480 });

  it('global: one unit per image over every non-newline token', () => {
    const plan = planBudget(layout, { keep: 5 });
    expect(plan.policy).toBe('global');
    expect(plan.newlines).toBe('drop');
    expect(quotas(plan)).toEqual([['image 0', [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17], 5]]);
    expect(plan.candidates).toBe(16);
    expect(plan.total).toBe(5);
  });

  it('per-view and per-crop: ⌈n × fraction⌉ per unit', () => {
    expect(quotas(planBudget(layout, { ratio: 0.5 }, { policy: 'per-view' }))).toEqual([
      ['image 0 base', [0, 1, 2, 3], 2],
      ['image 0 crops', [4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17], 6],
    ]);
    const perCrop = planBudget(layout, { keep: 5 }, { policy: 'per-crop' });
    expect(quotas(perCrop)).toEqual([
      ['image 0 base', [0, 1, 2, 3], 2], // ⌈4·5/16⌉
      ['image 0 crops[0]', [4, 5], 1], // ⌈2·5/16⌉
      ['image 0 crops[1]', [6, 7], 1],
      ['image 0 crops[2]', [9, 10, 14, 15], 2],
      ['image 0 crops[3]', [11, 12, 16, 17], 2],
    ]);
    expect(perCrop.total).toBe(8); // never less than asked; at most one extra per unit
  });

  it('newlines are candidates only under "select"', () => {
    const plan = planBudget(layout, { ratio: 1 }, { policy: 'per-crop', newlines: 'select' });
    expect(plan.candidates).toBe(19);
    expect(plan.units.find((u) => u.label === 'image 0 crops[1]')!.candidates).toEqual([6, 7, 8]);
    expect(plan.units.find((u) => u.label === 'image 0 crops[3]')!.candidates).toEqual([11, 12, 13, 16, 17, 18]);
  });

  it('gives a small and a large image each its share of one budget', () => {
    // 1 token (28×28) and 36×36 = 1296 tokens (1008×1008)
    const two = mropeAdapter.layout([{ width: 28, height: 28 }, { width: 1008, height: 1008 }]);
    const plan = planBudget(two, { keep: 130 });
    expect(quotas(plan).map(([label, c, q]) => [label, c.length, q])).toEqual([
      ['image 0', 1, 1], // ⌈1·130/1297⌉ = 1: the small image is not starved
      ['image 1', 1296, 130], // ⌈1296·130/1297⌉ = 130
    ]);
    const ratio = planBudget(two, { ratio: 0.1 });
    expect(quotas(ratio).map(([, , q]) => q)).toEqual([1, 130]); // ⌈0.1⌉, ⌈129.6⌉
  });

  it('applies the minimum-tokens guard, capped by the unit size', () => {
    const two = mropeAdapter.layout([{ width: 56, height: 56 }, { width: 1008, height: 1008 }]);
    expect(quotas(planBudget(two, { keep: 13 }, { minTokens: 8 })).map(([, c, q]) => [c.length, q])).toEqual([
      [4, 4], // min(8, 4)
      [1296, 13],
    ]);
    thrown(() => planBudget(two, { keep: 13 }, { minTokens: -1 }), 'E_BUDGET');
    thrown(() => planBudget(two, { keep: 13 }, { minTokens: 0.5 }), 'E_BUDGET');
  });

  it('keep larger than the candidates keeps everything', () => {
    const plan = planBudget(layout, { keep: 1000 }, { policy: 'per-crop' });
    expect(plan.units.every((u) => (u.budget as { keep: number }).keep === u.candidates.length)).toBe(true);
    expect(plan.total).toBe(16);
  });

  it('gives energy budgets to every unit, with minKeep raised to the guard', () => {
    const plan = planBudget(layout, { energy: 0.9, maxKeep: 3 }, { policy: 'per-crop', minTokens: 2 });
    expect(plan.total).toBeUndefined();
    expect(plan.units.map((u) => u.budget)).toEqual([
      { energy: 0.9, minKeep: 2, maxKeep: 3 },
      { energy: 0.9, minKeep: 2, maxKeep: 2 },
      { energy: 0.9, minKeep: 2, maxKeep: 2 },
      { energy: 0.9, minKeep: 2, maxKeep: 3 },
      { energy: 0.9, minKeep: 2, maxKeep: 3 },
    ]);
  });

  it('rejects unknown policies and newline rules', () => {
    thrown(() => planBudget(layout, { keep: 3 }, { policy: 'per-tile' as never }), 'E_INVALID_OPTION');
    thrown(() => planBudget(layout, { keep: 3 }, { newlines: 'maybe' as never }), 'E_INVALID_OPTION');
    thrown(() => planBudget(layout, { keep: 0 }), 'E_BUDGET');
  });
});

describe('mergeSelections / selectWithPlan', () => {
  const layout = tilesAdapter.layout({ width: 640, height: 480 });
  const plan = planBudget(layout, { ratio: 0.5 }, { policy: 'per-view' });

  it('maps local picks to layout indices, ascending', () => {
    expect(mergeSelections(plan, [[3, 0], [11, 0, 5, 6, 1, 2]])).toEqual([0, 3, 4, 5, 6, 10, 11, 17]);
    expect(selectWithPlan(plan, (unit) => Array.from({ length: (unit.budget as { keep: number }).keep }, (_, i) => i))).toEqual([
      0, 1, 4, 5, 6, 7, 9, 10,
    ]);
  });

  it('rejects picks that break the plan', () => {
    thrown(() => mergeSelections(plan, [[0, 1]]), 'E_SHAPE_MISMATCH');
    thrown(() => mergeSelections(plan, [[0, 4], [0, 1, 2, 3, 4, 5]]), 'E_INVALID_OPTION');
    thrown(() => mergeSelections(plan, [[0, 0], [0, 1, 2, 3, 4, 5]]), 'E_INVALID_OPTION');
    expect(thrown(() => mergeSelections(plan, [[0], [0, 1, 2, 3, 4, 5]]), 'E_BUDGET').message).toContain(
      'image 0 base: its quota is 2 tokens but 1 were picked',
    );
    const energy = planBudget(layout, { energy: 0.5, maxKeep: 2 });
    thrown(() => mergeSelections(energy, [[0, 1, 2]]), 'E_BUDGET');
    expect(mergeSelections(energy, [[15, 0]])).toEqual([0, 17]);
  });
});
