import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClassifierHead, FeatureExtractor } from '@resprune/mobilenet-features';
import { energyCurve, registerKernels } from '@resprune/linalg';
import { runPhoto } from '../src/experiment.js';
import type { PhotoTokens } from '../src/features.js';
import { headClassDirection, klDivergence, TokenSpace } from '../src/metrics.js';
import { barChart, lineCharts, svgToPng } from '../src/svg.js';
import { markdown } from '../src/report.js';
import { seededRandom as rng } from '@resprune/test-backends';


/** Non-negative "ReLU6-like" tokens with a few shared directions, as a CNN's features. */
function tokens(n: number, d: number, seed: number): Float32Array {
  const u = rng(seed);
  const basis = Array.from({ length: 5 }, () => Array.from({ length: d }, () => u()));
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const w = basis.map(() => u() * u());
    for (let k = 0; k < d; k++) out[i * d + k] = Math.min(6, Math.max(0, w.reduce((s, c, b) => s + c * basis[b]![k]!, 0) + 0.3 * (u() - 0.5)));
  }
  return out;
}

/** Residuals by the normal equations, float64, straight from the definition. */
function residualsRef(x: number[][], kept: number[]): number[] {
  const S = kept.map((i) => x[i]!);
  const k = S.length;
  const G = S.map((a) => S.map((b) => a.reduce((s, v, j) => s + v * b[j]!, 0)));
  return x.map((xi) => {
    const b = S.map((a) => a.reduce((s, v, j) => s + v * xi[j]!, 0));
    // solve G c = b by Gaussian elimination
    const A = G.map((row, r) => [...row, b[r]!]);
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
      [A[p], A[c]] = [A[c]!, A[p]!];
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const f = A[r]![c]! / A[c]![c]!;
        for (let q = c; q <= k; q++) A[r]![q]! -= f * A[c]![q]!;
      }
    }
    const coef = A.map((row, r) => row[k]! / row[r]!);
    const proj = xi.map((_, j) => coef.reduce((s, c, a) => s + c * S[a]![j]!, 0));
    return xi.reduce((s, v, j) => s + (v - proj[j]!) ** 2, 0);
  });
}

function tinyHead(d: number, seed: number): ClassifierHead {
  const u = rng(seed);
  const dense = (name: string, inputs: number, outputs: number, activation: 'relu' | 'softmax') => ({
    name,
    inputs,
    outputs,
    activation,
    kernel: Float32Array.from({ length: inputs * outputs }, () => u() - 0.5),
    bias: Float32Array.from({ length: outputs }, () => 0.1 * (u() - 0.5)),
  });
  return { layers: [dense('dense_1', d, 12, 'relu'), dense('dense_2', 12, 8, 'relu'), dense('dense_3', 8, 5, 'softmax')], classes: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerKernels();
});

describe('subspace metrics', () => {
  it('residuals equal least squares by the normal equations; captured energy equals linalg energyCurve', () => {
    const n = 40;
    const d = 12;
    const x = tokens(n, d, 1);
    const rows = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
    const space = new TokenSpace(x, n, d, false);
    try {
      const kept = [3, 7, 8, 20, 31];
      const got = space.residuals(kept);
      const ref = residualsRef(rows, kept);
      for (let i = 0; i < n; i++) expect(got[i]!).toBeCloseTo(ref[i]!, 3);
      const curve = energyCurve(space.tensor, kept).energy;
      expect(space.measure(kept).energy).toBeCloseTo(curve[kept.length - 1]!, 6);
    } finally {
      space.dispose();
    }
  });

  it('centred variant: the same as measuring explicitly centred tokens; duplicates in the kept set are harmless', () => {
    const n = 30;
    const d = 8;
    const x = tokens(n, d, 2);
    x.set(x.subarray(0, d), 5 * d); // token 5 duplicates token 0
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]! / n;
    const xc = Float32Array.from(x, (v, j) => v - mean[j % d]!);
    const a = new TokenSpace(x, n, d, true);
    const b = new TokenSpace(xc, n, d, false);
    try {
      const kept = [0, 5, 9, 17];
      expect(a.measure(kept).energy).toBeCloseTo(b.measure(kept).energy, 5);
      expect(a.measure(kept).energy).toBeCloseTo(a.measure([0, 9, 17]).energy, 6);
      const all = Array.from({ length: n }, (_, i) => i);
      expect(a.measure(all).energy).toBeCloseTo(1, 6);
      expect(a.measure(all).meanRelativeError).toBe(0);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('KL divergence: 0 for equal distributions, positive otherwise', () => {
    expect(klDivergence([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(klDivergence([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1), 12);
  });
});

describe('head class direction', () => {
  it('is the gradient of log p_c: matches central finite differences', () => {
    const d = 10;
    const head = tinyHead(d, 3);
    const p = Array.from({ length: d }, (_, i) => 0.5 + 0.1 * i);
    for (const c of [0, 2, 4]) {
      const { grad } = headClassDirection(head, p, c);
      const h = 1e-5;
      for (let k = 0; k < d; k++) {
        const up = [...p];
        const down = [...p];
        up[k]! += h;
        down[k]! -= h;
        const fd = (Math.log(headClassDirection(head, up, c).probs[c]!) - Math.log(headClassDirection(head, down, c).probs[c]!)) / (2 * h);
        expect(grad[k]!).toBeCloseTo(fd, 6);
      }
    }
  });
});

describe('charts', () => {
  it('line and bar charts are SVG documents that render to PNG', async () => {
    const svg = lineCharts([{ title: 'T', xLabel: 'x', yLabel: 'y', series: [{ label: 'a<b', color: '#f00', points: [[1, 1], [2, 3]] }], logY: true }]);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('a&lt;b');
    const png = await svgToPng(barChart('B', 'ms', [{ label: 'm', value: 3, color: '#00f' }]));
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
  });
});

describe('harness smoke run', () => {
  it('runs every configuration on a synthetic 12×12 grid with a stand-in head, and writes a report', () => {
    const rows = 12;
    const cols = 12;
    const d = 160; // more features than tokens: 128 picks cannot span everything
    const n = rows * cols;
    const head = tinyHead(d, 4);
    const net = {
      head,
      classify: (pooled: ArrayLike<number>) => Float32Array.from(headClassDirection(head, pooled, 0).probs),
    } as unknown as FeatureExtractor;
    const photo: PhotoTokens = { name: 'synthetic', path: '-', tokens: tokens(n, d, 5), n, d, rows, cols, cached: true, extractMs: 0 };
    const before = tf.memory().numTensors;
    const out = runPhoto(net, photo, { repeats: 1, quick: true });
    expect(tf.memory().numTensors).toBe(before);
    const configs = new Set(out.rows.map((r) => r.config));
    for (const c of ['resprune', 'cdpruner', 'divprune', 'mmtok', 'dart', 'uniform', 'random', 'relevance-only', 'resprune α=2 l2']) expect(configs.has(c)).toBe(true);
    for (const r of out.rows) {
      expect(r.energyRaw).toBeGreaterThan(0);
      expect(r.energyRaw).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.kl).toBeGreaterThanOrEqual(0);
      if (r.budget === 'K=128') expect(r.k).toBe(128);
    }
    // ResPrune's own objective: it captures at least as much raw energy as every peer at K = 128
    const at = (c: string): number => out.rows.find((r) => r.config === c && r.budget === 'K=128')!.energyRaw;
    for (const c of ['cdpruner', 'divprune', 'mmtok', 'dart', 'uniform']) expect(at('resprune')).toBeGreaterThanOrEqual(at(c) - 1e-9);
    const page = markdown(out.rows, {
      command: 'test',
      date: '2026-01-01',
      backend: 'cpu',
      node: process.versions.node,
      cpus: 'test',
      photos: [{ name: 'synthetic', top1: 'Drawing' }],
      repeats: 1,
      totalSeconds: 1,
      curves: out.curves,
      images: [],
    });
    expect(page).toContain('# Quality benchmark');
  });
});
