import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@resprune/npy';
import { seededRandom } from '@resprune/test-backends';
import { runCli, tempDir, type CliRun } from './cli-helpers.js';

let dir = '';
const path = (name: string): string => join(dir, name);

/** Deterministic pseudo-random matrix, so the test needs no fixture files. */
function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: rows * cols }, () => next() - 0.5);
}

function expectBadInput(run: CliRun, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

beforeAll(() => {
  dir = tempDir();
  writeFileSync(path('v.npy'), writeNpy(randomMatrix(40, 8, 1), [40, 8]));
  writeFileSync(path('v64.npy'), writeNpy(Float64Array.from(randomMatrix(40, 8, 1)), [40, 8]));
  writeFileSync(path('t.npy'), writeNpy(randomMatrix(3, 8, 2), [3, 8]));
  writeFileSync(path('t-wrong-d.npy'), writeNpy(randomMatrix(3, 5, 2), [3, 5]));
  writeFileSync(path('rank1.npy'), writeNpy(randomMatrix(1, 8, 3), [8]));
  writeFileSync(path('int.npy'), writeNpy(Int32Array.from([1, 2, 3, 4]), [2, 2]));
  const nan = randomMatrix(10, 4, 4);
  nan[17] = Number.NaN;
  writeFileSync(path('nan.npy'), writeNpy(nan, [10, 4]));
  const inf = randomMatrix(10, 4, 4);
  inf[3] = Number.POSITIVE_INFINITY;
  writeFileSync(path('inf.npy'), writeNpy(inf, [10, 4]));
  writeFileSync(path('empty.npy'), writeNpy(new Float32Array(0), [0, 8]));
  writeFileSync(path('garbage.npy'), Buffer.from('this is not a numpy file at all'));
  const truncated = writeNpy(randomMatrix(40, 8, 1), [40, 8]);
  writeFileSync(path('truncated.npy'), truncated.subarray(0, truncated.length - 17));
});

describe('resprune select --json', () => {
  it('prints exactly one JSON object with the documented fields', () => {
    const run = runCli(['select', '--visual', path('v.npy'), '--text', path('t.npy'), '--keep', '6', '--json', '--backend', 'cpu']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as Record<string, unknown> & { kept: number[]; order: number[]; energy: number[]; ms: { select: number } };
    expect(out).toMatchObject({ method: 'resprune', n: 40, d: 8 });
    expect(out.kept).toHaveLength(6);
    expect([...out.kept].sort((a, b) => a - b)).toEqual(out.kept);
    expect([...out.order].sort((a, b) => a - b)).toEqual(out.kept);
    expect((out['scores'] as number[]).length).toBe(6);
    expect(out.energy.length).toBe(6);
    for (let i = 1; i < out.energy.length; i++) expect(out.energy[i]!).toBeGreaterThanOrEqual(out.energy[i - 1]!);
    expect(out.ms.select).toBeGreaterThanOrEqual(0);
  });

  it('gives the same selection on cpu and wasm, and from float32 and float64 files', () => {
    const picks = (file: string, backend: string): number[] =>
      (JSON.parse(runCli(['select', '--visual', path(file), '--keep', '9', '--json', '--backend', backend]).stdout) as { order: number[] }).order;
    const cpu = picks('v.npy', 'cpu');
    expect(picks('v.npy', 'wasm')).toEqual(cpu);
    expect(picks('v64.npy', 'cpu')).toEqual(cpu);
  });

  it('--repeat reports the best run and every run', () => {
    const run = runCli(['select', '--visual', path('v.npy'), '--ratio', '0.25', '--repeat', '3', '--json', '--backend', 'cpu']);
    const out = JSON.parse(run.stdout) as { kept: number[]; ms: { select: number; runs: number[] } };
    expect(out.kept).toHaveLength(10);
    expect(out.ms.runs).toHaveLength(3);
    expect(out.ms.select).toBe(Math.min(...out.ms.runs));
  });

  it('--energy keeps the fewest tokens that reach the target', () => {
    const out = JSON.parse(runCli(['select', '--visual', path('v.npy'), '--energy', '0.6', '--json', '--backend', 'cpu']).stdout) as { energy: number[] };
    const e = out.energy;
    expect(e[e.length - 1]!).toBeGreaterThanOrEqual(0.6);
    if (e.length > 1) expect(e[e.length - 2]!).toBeLessThan(0.6);
  });

  it('prints a readable summary without --json', () => {
    const run = runCli(['select', '--visual', path('v.npy'), '--keep', '5', '--backend', 'cpu']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/kept 5 of 40 tokens \(d=8\)/);
  });
});

describe('resprune select: bad input is one line on stderr, nothing on stdout, exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['missing file', ['--visual', '/nonexistent/v.npy', '--keep', '3'], /E_FILE_NOT_FOUND/],
    ['garbage file', ['--visual', '@garbage.npy', '--keep', '3'], /E_NPY_FORMAT/],
    ['truncated file', ['--visual', '@truncated.npy', '--keep', '3'], /E_NPY_FORMAT/],
    ['rank-1 array', ['--visual', '@rank1.npy', '--keep', '3'], /E_SHAPE_MISMATCH/],
    ['integer dtype', ['--visual', '@int.npy', '--keep', '1'], /E_DTYPE/],
    ['NaN', ['--visual', '@nan.npy', '--keep', '3'], /E_NON_FINITE/],
    ['Infinity', ['--visual', '@inf.npy', '--keep', '3'], /E_NON_FINITE/],
    ['no tokens', ['--visual', '@empty.npy', '--keep', '3'], /E_EMPTY_INPUT/],
    ['d mismatch with text', ['--visual', '@v.npy', '--text', '@t-wrong-d.npy', '--keep', '3'], /E_SHAPE_MISMATCH/],
    ['keep 0', ['--visual', '@v.npy', '--keep', '0'], /E_BUDGET/],
    ['keep not an integer', ['--visual', '@v.npy', '--keep', '2.5'], /E_INVALID_OPTION/],
    ['ratio above 1', ['--visual', '@v.npy', '--ratio', '1.5'], /E_BUDGET/],
    ['energy 0', ['--visual', '@v.npy', '--energy', '0'], /E_BUDGET/],
    ['two budgets', ['--visual', '@v.npy', '--keep', '3', '--ratio', '0.5'], /E_BUDGET/],
    ['no budget', ['--visual', '@v.npy'], /E_BUDGET/],
    ['no --visual', ['--keep', '3'], /E_INVALID_OPTION/],
    ['negative alpha', ['--visual', '@v.npy', '--keep', '3', '--alpha', '-1'], /E_INVALID_OPTION/],
    ['unknown normalize', ['--visual', '@v.npy', '--keep', '3', '--normalize', 'zscore'], /E_INVALID_OPTION.*none, l2, center/],
    ['unknown backend', ['--visual', '@v.npy', '--keep', '3', '--backend', 'gpu'], /E_INVALID_OPTION/],
    ['unknown option', ['--visual', '@v.npy', '--keep', '3', '--frobnicate'], /E_INVALID_OPTION.*frobnicate/],
    ['non-numeric keep', ['--visual', '@v.npy', '--keep', 'ten'], /E_INVALID_OPTION/],
  ];
  it.each(cases)('%s', (_name, args, pattern) => {
    const resolved = args.map((a) => (a.startsWith('@') ? path(a.slice(1)) : a));
    const backend = resolved.includes('--backend') ? [] : ['--backend', 'cpu'];
    expectBadInput(runCli(['select', ...resolved, ...backend]), pattern);
  });
});

describe('resprune (dispatcher)', () => {
  it('lists the commands with --help and rejects unknown commands with exit 2', () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/select/);
    const bad = runCli(['prune-everything']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "prune-everything"/);
  });
});

describe('resprune select --method', () => {
  const names = ['resprune', 'random', 'uniform', 'divprune', 'cdpruner', 'dart', 'mmtok'];
  it.each(names)('%s keeps the same JSON contract', (method) => {
    const run = runCli(['select', '--visual', path('v.npy'), '--text', path('t.npy'), '--keep', '7', '--method', method, '--json', '--backend', 'cpu']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { method: string; n: number; d: number; kept: number[]; order: number[]; scores: number[]; energy: number[]; ms: { select: number } };
    expect(out.method).toBe(method);
    expect([out.n, out.d]).toEqual([40, 8]);
    expect(out.kept).toHaveLength(7);
    expect(new Set(out.kept).size).toBe(7);
    expect([...out.order].sort((a, b) => a - b)).toEqual(out.kept);
    expect(out.scores).toHaveLength(7);
    expect(out.energy).toHaveLength(7);
    expect(typeof out.ms.select).toBe('number');
  });

  it('random is deterministic under --seed and changes with it', () => {
    const picks = (seed: string): string => (JSON.parse(runCli(['select', '--visual', path('v.npy'), '--keep', '6', '--method', 'random', '--seed', seed, '--json', '--backend', 'cpu']).stdout) as { kept: number[] }).kept.join(',');
    expect(picks('3')).toBe(picks('3'));
    expect(picks('3')).not.toBe(picks('4'));
  });

  it('uniform strides over --grid', () => {
    const out = JSON.parse(runCli(['select', '--visual', path('v.npy'), '--keep', '4', '--method', 'uniform', '--grid', '5x8', '--json', '--backend', 'cpu']).stdout) as { kept: number[] };
    expect(out.kept).toHaveLength(4);
  });

  it('unknown methods, bad method options and a grid that does not fit are exit 2', () => {
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '4', '--method', 'fastv', '--backend', 'cpu']), /E_UNKNOWN_METHOD.*resprune/);
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '4', '--method', 'cdpruner', '--option', 'relevance=sideways', '--backend', 'cpu']), /E_INVALID_OPTION.*relevance/);
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '4', '--method', 'uniform', '--grid', '6x6', '--backend', 'cpu']), /E_SHAPE_MISMATCH/);
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '4', '--option', 'novalue', '--backend', 'cpu']), /E_INVALID_OPTION/);
  });
});
