import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isResPruneError, type ErrorCode } from '@resprune/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastEngine, fastCapabilities, selectPlain, type FastEngine, type FastSelectOptions, type FastSelection } from '../src/fast/index.js';
import { referenceSelect, tokens, rng, type RefResult } from './fast-reference.js';

/**
 * Same picks as the float64 reference, pick by pick, up to the first pick the reference itself
 * decided by a near-tie (explicitly tolerated: float32 kernels may break those either way).
 * Returns how many picks were compared.
 */
function expectSamePicks(got: FastSelection, ref: RefResult, what: string): number {
  expect(got.order.length, `${what}: pick count`).toBe(ref.order.length);
  let compared = 0;
  for (let s = 0; s < ref.order.length; s++) {
    if (ref.nearTie[s]) break;
    expect(got.order[s], `${what}: pick ${s}`).toBe(ref.order[s]);
    expect(Math.abs(got.scores[s]! / ref.scores[s]! - 1), `${what}: score ${s}`).toBeLessThan(1e-4);
    expect(Math.abs(got.captured[s]! - ref.captured[s]!), `${what}: captured ${s}`).toBeLessThan(1e-5);
    compared++;
  }
  return compared;
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    expect(isResPruneError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected a ResPruneError ${code}, nothing was thrown`);
}

const engines: Record<string, FastEngine> = {};

beforeAll(async () => {
  const caps = await fastCapabilities();
  expect(caps.simd, 'Node 20 has WebAssembly SIMD').toBe(true);
  expect(caps.threads, 'Node 20 has worker_threads, SharedArrayBuffer and wasm threads').toBe(true);
  engines['threads'] = await createFastEngine({ mode: 'threads', threads: 2, threadsFrom: 0, warmUp: false });
  engines['threads-3'] = await createFastEngine({ mode: 'threads', threads: 3, batch: 3, cacheRows: 5, threadsFrom: 0, warmUp: false });
  engines['single'] = await createFastEngine({ mode: 'single', warmUp: false });
  engines['js'] = await createFastEngine({ mode: 'js', warmUp: false });
});

afterAll(async () => {
  for (const e of Object.values(engines)) await e.dispose();
});

describe('fast selection: same picks as the float64 reference', () => {
  const cases: Array<{ name: string; n: number; d: number; opts: FastSelectOptions; seed: number }> = [
    { name: 'raw tokens, text relevance', n: 150, d: 96, seed: 1, opts: { keep: 40, alpha: 1 } },
    { name: 'l2, alpha 2 (CDPruner-like)', n: 121, d: 64, seed: 2, opts: { keep: 30, alpha: 2, normalize: 'l2' } },
    { name: 'centred, no text', n: 97, d: 50, seed: 3, opts: { keep: 25, normalize: 'center' } },
    { name: 'weights given, d not a multiple of 4', n: 64, d: 37, seed: 4, opts: { keep: 20 } },
    { name: 'alpha 0', n: 80, d: 40, seed: 5, opts: { keep: 16, alpha: 0 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const x = tokens(c.n, c.d, c.seed);
      const r = rng(c.seed + 100);
      let opts: FastSelectOptions = c.opts;
      if (c.name.startsWith('weights')) opts = { ...opts, weights: Float64Array.from({ length: c.n }, () => 0.2 + r()) };
      else if (!c.name.includes('no text')) opts = { ...opts, text: tokens(3, c.d, c.seed + 7) };
      const ref = referenceSelect(x, c.n, c.d, opts);
      for (const [name, engine] of Object.entries(engines)) {
        const got = engine.select(x, c.n, c.d, opts);
        const compared = expectSamePicks(got, ref, `${c.name} on ${name}`);
        expect(compared, `${c.name} on ${name}: most picks are compared (no early near-tie)`).toBeGreaterThanOrEqual(Math.min(10, ref.order.length));
        if (opts.weights === undefined) {
          for (let i = 0; i < c.n; i++) expect(Math.abs(got.weights[i]! - ref.weights[i]!)).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('gives identical results on every thread count and with or without threads', () => {
    const x = tokens(203, 72, 11);
    const text = tokens(2, 72, 12);
    const opts: FastSelectOptions = { keep: 60, text, normalize: 'center' };
    const base = engines['threads']!.select(x, 203, 72, opts);
    for (const name of ['threads-3', 'single']) {
      const got = engines[name]!.select(x, 203, 72, opts);
      expect(Array.from(got.order), name).toEqual(Array.from(base.order));
      expect(Array.from(got.scores), name).toEqual(Array.from(base.scores));
    }
    expect(base.stats.kind).toBe('wasm-threads');
    expect(engines['single']!.select(x, 203, 72, opts).stats.kind).toBe('wasm');
    // rows computed ahead are used: far fewer passes over X than picks
    expect(base.stats.passes).toBeLessThan(base.order.length);
    expect(base.stats.gramRows).toBeGreaterThanOrEqual(base.order.length);
  });

  it('breaks the exact ties of unit rows by the lowest index', () => {
    const x = tokens(50, 16, 33);
    for (const [name, engine] of Object.entries(engines)) {
      const got = engine.select(x, 50, 16, { keep: 3, normalize: 'l2' });
      expect(got.order[0], name).toBe(0);
      expect(got.scores[0], name).toBe(1);
    }
  });

  it('gives the same picks with any batch size (rows computed ahead never go stale)', async () => {
    const x = tokens(90, 48, 21);
    const opts: FastSelectOptions = { keep: 45, normalize: 'l2' };
    const one = await createFastEngine({ mode: 'single', batch: 1, cacheRows: 1, warmUp: false });
    const many = await createFastEngine({ mode: 'single', batch: 16, cacheRows: 16, warmUp: false });
    try {
      const a = one.select(x, 90, 48, opts);
      const b = many.select(x, 90, 48, opts);
      expect(Array.from(b.order)).toEqual(Array.from(a.order));
      expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
      expect(a.stats.passes).toBe(45);
      expect(b.stats.passes).toBeLessThan(45);
    } finally {
      await one.dispose();
      await many.dispose();
    }
  });
});

describe('fast selection: budgets and edge cases', () => {
  it('fills by w·‖x‖² once the rank is exhausted', () => {
    // 40 tokens in a 5-dimensional subspace of R^16
    const g = rng(31);
    const n = 40;
    const d = 16;
    const basis = Array.from({ length: 5 }, () => Array.from({ length: d }, () => g() - 0.5));
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = basis.map(() => g() * 2 - 1);
      for (let k = 0; k < d; k++) x[i * d + k] = basis.reduce((s, b, q) => s + c[q]! * b[k]!, 0);
    }
    const ref = referenceSelect(x, n, d, { keep: 12 });
    expect(ref.exhaustedAt).toBe(5);
    for (const [name, engine] of Object.entries(engines)) {
      const got = engine.select(x, n, d, { keep: 12, rankTolerance: 1e-4 });
      expect(got.exhaustedAt, name).toBe(5);
      expect(Array.from(got.order), name).toEqual(ref.order);
      expect(got.captured[11]!).toBeCloseTo(1, 5);
      for (let s = 5; s < 12; s++) expect(got.scores[s]!).toBeLessThan(1e-4 * got.scores[0]!);
    }
  });

  it('stops at the energy target and reports the captured-energy curve', () => {
    const x = tokens(120, 64, 41);
    const full = engines['threads']!.select(x, 120, 64, { keep: 120, normalize: 'center' });
    for (let s = 1; s < full.captured.length; s++) expect(full.captured[s]!).toBeGreaterThanOrEqual(full.captured[s - 1]! - 1e-12);
    expect(full.captured.at(-1)!).toBeCloseTo(1, 6);
    const target = 0.9;
    const t = full.captured.findIndex((v) => v >= target) + 1;
    expect(t).toBeGreaterThan(1);
    for (const [name, engine] of Object.entries(engines)) {
      const got = engine.select(x, 120, 64, { keep: 120, normalize: 'center', energy: target });
      expect(got.order.length, name).toBe(t);
      expect(Array.from(got.order)).toEqual(Array.from(full.order.subarray(0, t)));
      expect(got.captured.at(-1)!).toBeGreaterThanOrEqual(target);
      const floor = engine.select(x, 120, 64, { keep: 120, normalize: 'center', energy: target, minKeep: t + 5 });
      expect(floor.order.length, name).toBe(t + 5);
    }
  });

  it('keeps every token when keep ≥ n, and handles tiny inputs', () => {
    const x = tokens(7, 5, 51);
    for (const engine of Object.values(engines)) {
      const all = engine.select(x, 7, 5, { keep: 100 });
      expect([...all.order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const one = engine.select(new Float32Array([3, 4]), 1, 2, { keep: 1 });
      expect(Array.from(one.order)).toEqual([0]);
      expect(one.scores[0]).toBeCloseTo(25, 5);
      expect(one.captured[0]).toBeCloseTo(1, 12);
    }
  });

  it('handles all-zero tokens (everything is rank-exhausted from the start)', () => {
    for (const engine of Object.values(engines)) {
      const got = engine.select(new Float32Array(12), 4, 3, { keep: 2 });
      expect(Array.from(got.order)).toEqual([0, 1]);
      expect(got.exhaustedAt).toBe(0);
      expect(Array.from(got.captured)).toEqual([1, 1]);
    }
  });

  it('scales tokens whose float32 squares would overflow or underflow (same picks, scores in input units)', () => {
    const x = tokens(60, 24, 61);
    for (const p of [100, -100]) {
      const s = 2 ** p;
      const big = x.map((v) => v * s);
      for (const [name, engine] of Object.entries(engines)) {
        const base = engine.select(x, 60, 24, { keep: 20 });
        const got = engine.select(big, 60, 24, { keep: 20 });
        expect(Array.from(got.order), `${name} × 2^${p}`).toEqual(Array.from(base.order));
        for (let i = 0; i < 20; i++) expect(got.scores[i]! / (base.scores[i]! * s * s)).toBeCloseTo(1, 6);
      }
    }
  });

  it('recomputes the residual of a pick whose downdated energy has collapsed', () => {
    // token 1 is token 0 plus a small orthogonal part: once one of them is picked, the other's
    // energy falls to ~2.5e-5 of its start, below the 1e-3 guard
    const d = 8;
    const x = new Float32Array(3 * d);
    for (let k = 0; k < d; k++) x[k] = 1;
    for (let k = 0; k < d; k++) x[d + k] = 1;
    x[d] = 1 + 1e-2;
    x[d + 1] = 1 - 1e-2;
    x[2 * d + 2] = 1e-2;
    const ref = referenceSelect(x, 3, d, { keep: 3, rankTolerance: 0 });
    for (const [name, engine] of Object.entries(engines)) {
      const got = engine.select(x, 3, d, { keep: 3, rankTolerance: 0 });
      expect(Array.from(got.order), name).toEqual(ref.order);
      expect(got.stats.recomputes, name).toBeGreaterThanOrEqual(1);
      expect(got.scores[1]! / ref.scores[1]!, name).toBeCloseTo(1, 2);
    }
  });

  it('holds its memory to the input copy plus O(N·K)', () => {
    const n = 400;
    const d = 256;
    const k = 100;
    const engine = engines['threads']!;
    engine.select(tokens(n, d, 71), n, d, { keep: k });
    const bound = 4 * n * d + 8 * n * k + 8 * 3 * 8 * n + 64 * n + 2 ** 20 * 4;
    expect(engine.memoryBytes()).toBeLessThanOrEqual(bound);
  });
});

describe('fast selection: bad input', () => {
  const x = tokens(10, 4, 81);
  const run = (f: (e: FastEngine) => unknown): void => {
    for (const e of Object.values(engines)) f(e);
    f({ select: (v, n, d, o) => selectPlain(v, n, d, o) } as FastEngine);
  };
  it('rejects wrong types, shapes and empty input', () => {
    run((e) => expectCode(() => e.select(Array.from(x) as unknown as Float32Array, 10, 4, { keep: 2 }), 'E_DTYPE'));
    run((e) => expectCode(() => e.select(new Float64Array(40) as unknown as Float32Array, 10, 4, { keep: 2 }), 'E_DTYPE'));
    run((e) => expectCode(() => e.select(x, 10, 5, { keep: 2 }), 'E_SHAPE_MISMATCH'));
    run((e) => expectCode(() => e.select(x, 2.5, 16, { keep: 2 }), 'E_SHAPE_MISMATCH'));
    run((e) => expectCode(() => e.select(new Float32Array(0), 0, 4, { keep: 2 }), 'E_EMPTY_INPUT'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, text: new Float32Array(6) }), 'E_SHAPE_MISMATCH'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, weights: new Float64Array(9) }), 'E_SHAPE_MISMATCH'));
  });
  it('rejects NaN and Infinity', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[17] = bad;
      run((e) => expectCode(() => e.select(y, 10, 4, { keep: 2 }), 'E_NON_FINITE'));
      const t = new Float32Array(4);
      t[1] = bad;
      run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, text: t }), 'E_NON_FINITE'));
      const w = new Float64Array(10).fill(1);
      w[3] = bad;
      run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, weights: w }), 'E_NON_FINITE'));
    }
    // the engines still work after a rejected input
    for (const e of Object.values(engines)) expect(e.select(x, 10, 4, { keep: 3 }).order.length).toBe(3);
  });
  it('rejects budgets and options out of range', () => {
    for (const keep of [0, -1, 1.5, NaN]) run((e) => expectCode(() => e.select(x, 10, 4, { keep }), 'E_BUDGET'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, energy: 0 }), 'E_BUDGET'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, energy: 1.5 }), 'E_BUDGET'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, minKeep: 3 }), 'E_BUDGET'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, alpha: -1 }), 'E_INVALID_OPTION'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, rankTolerance: -1 }), 'E_INVALID_OPTION'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, normalize: 'unit' as never }), 'E_INVALID_OPTION'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, weights: new Float64Array(10).fill(-1) }), 'E_INVALID_OPTION'));
    run((e) => expectCode(() => e.select(x, 10, 4, { keep: 2, weights: new Float64Array(10), text: new Float32Array(4) }), 'E_INVALID_OPTION'));
    run((e) => expectCode(() => e.select(x, 10, 4, undefined as never), 'E_INVALID_OPTION'));
  });
  it('rejects bad engine options and use after dispose', async () => {
    await expect(createFastEngine({ batch: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createFastEngine({ batch: 4, cacheRows: 2 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createFastEngine({ threads: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createFastEngine({ mode: 'gpu' as never })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createFastEngine({ threadsFrom: -1 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    const e = await createFastEngine({ mode: 'threads', threads: 2, warmUp: false });
    await e.dispose();
    expectCode(() => e.select(x, 10, 4, { keep: 2 }), 'E_BACKEND');
    expect(e.memoryBytes()).toBe(0);
  });
});

describe('fast selection: falls back where threads or SIMD are missing', () => {
  const x = tokens(70, 20, 91);
  const opts: FastSelectOptions = { keep: 12, normalize: 'center' };
  it('runs on one thread without SharedArrayBuffer (a page without cross-origin isolation)', async () => {
    const g = globalThis as { SharedArrayBuffer?: unknown };
    const saved = g.SharedArrayBuffer;
    delete g.SharedArrayBuffer;
    let engine: FastEngine | undefined;
    try {
      expect((await fastCapabilities()).threads).toBe(false);
      engine = await createFastEngine({ warmUp: false });
      await expect(createFastEngine({ mode: 'threads' })).rejects.toMatchObject({ code: 'E_WASM_UNAVAILABLE' });
    } finally {
      g.SharedArrayBuffer = saved;
    }
    expect(engine!.kind).toBe('wasm');
    expect(expectSamePicks(engine!.select(x, 70, 20, opts), referenceSelect(x, 70, 20, opts), engine!.kind)).toBeGreaterThanOrEqual(6);
    await engine!.dispose();
  });
  it('runs plain JavaScript without WebAssembly SIMD', async () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate: (b: Uint8Array) => boolean } }).WebAssembly;
    const validate = wasm.validate;
    wasm.validate = () => false;
    let engine: FastEngine | undefined;
    try {
      const caps = await fastCapabilities();
      expect(caps.simd).toBe(false);
      expect(caps.threads).toBe(false);
      engine = await createFastEngine({ warmUp: false });
      await expect(createFastEngine({ mode: 'single' })).rejects.toMatchObject({ code: 'E_WASM_UNAVAILABLE' });
    } finally {
      wasm.validate = validate;
    }
    expect(engine!.kind).toBe('js');
    expect(engine!.memoryBytes()).toBe(0);
    expect(expectSamePicks(engine!.select(x, 70, 20, opts), referenceSelect(x, 70, 20, opts), engine!.kind)).toBeGreaterThanOrEqual(6);
    await engine!.dispose();
  });
});

describe('fast selection: threads never keep a process alive', () => {
  it('a Node process that never disposes its engine exits on its own', () => {
    const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'fast', 'index.js');
    expect(existsSync(dist), `build the package first (pnpm exec tsc -b packages/linalg): ${dist}`).toBe(true);
    const script = `
      const { createFastEngine } = await import(${JSON.stringify(dist)});
      const e = await createFastEngine({ mode: 'threads', threads: 2, threadsFrom: 0 });
      const x = new Float32Array(64 * 16).map((_, i) => Math.sin(i * 0.7));
      console.log(e.kind, e.select(x, 64, 16, { keep: 8 }).order.length);
    `;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.error, 'the process did not exit by itself within 60 s').toBeUndefined();
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe('wasm-threads 8');
  });
});
