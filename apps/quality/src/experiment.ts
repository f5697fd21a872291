import * as tf from '@tensorflow/tfjs-core';
import { averagePoolTokens, type FeatureExtractor } from '@resprune/mobilenet-features';
import { energyCurve } from '@resprune/linalg';
import { computeRelevance, selectWith, type MethodOptions, type SelectOptions } from '@resprune/selector';
import type { PhotoTokens } from './features.js';
import { argmaxOf, headClassDirection, klDivergence, meanRows, TokenSpace } from './metrics.js';

/** Budgets on the curves (tokens kept of 576). */
export const CURVE_KS = [16, 32, 64, 96, 128, 192, 256] as const;
/** Budgets of the main tables. */
export const TABLE_KS = [64, 128, 192] as const;
/** Energy budgets (captured raw energy τ). */
export const TAUS = [0.9, 0.95, 0.99] as const;
/** Seeds averaged for the random baseline. */
export const RANDOM_SEEDS = [0, 1, 2, 3, 4] as const;
/** ResPrune ablation grid. */
export const ALPHAS = [0, 0.5, 1, 2, 4] as const;
export const NORMALIZES = ['none', 'l2', 'center'] as const;

/** The methods of the main comparison, in table order. */
export const MAIN_METHODS = ['resprune', 'cdpruner', 'divprune', 'mmtok', 'dart', 'uniform', 'random'] as const;
/** Methods whose energy budget is defined (nested pick orders). */
export const ENERGY_METHODS = ['resprune', 'cdpruner', 'divprune', 'mmtok', 'random'] as const;

/** One measured selection. */
export interface Row {
  readonly photo: string;
  /** `'main'`: no text. `'text'`: text = the head's class direction. */
  readonly group: 'main' | 'text';
  /** Display name of the configuration, e.g. `resprune`, `resprune α=2 l2`, `relevance-only`. */
  readonly config: string;
  /** Registry method, or `relevance-only`. */
  readonly method: string;
  readonly seed?: number;
  /** `K=64` or `τ=0.9`. */
  readonly budget: string;
  /** Tokens kept. */
  readonly k: number;
  readonly energyRaw: number;
  readonly energyCentred: number;
  readonly relErrorRaw: number;
  readonly relErrorCentred: number;
  /** 1 when the head's top-1 class on the kept tokens equals that on all tokens. */
  readonly top1: number;
  /** KL(full ‖ kept) of the head's class probabilities, nats. */
  readonly kl: number;
  /** Selection wall time, ms (best of the repeats; `selectWith` end to end on a tensor). */
  readonly ms: number;
  readonly repeats: number;
}

/** Per photo: how long the shared captured-energy curve takes (peers get it from `selectWith`). */
export interface CurveTiming {
  readonly photo: string;
  readonly k: number;
  readonly ms: number;
}

/** Settings of one run. */
export interface ExperimentOptions {
  /** Timing repeats for the table budgets (best of). */
  readonly repeats: number;
  /** Only these budgets (for a quick run); default all. */
  readonly quick?: boolean;
  readonly log?: (msg: string) => void;
}

interface Config {
  readonly group: 'main' | 'text';
  readonly config: string;
  readonly method: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly seed?: number;
}

function mainConfigs(grid: { rows: number; cols: number }): Config[] {
  const out: Config[] = [];
  for (const m of MAIN_METHODS) {
    if (m === 'random') for (const seed of RANDOM_SEEDS) out.push({ group: 'main', config: 'random', method: 'random', options: { seed }, seed });
    else if (m === 'uniform') out.push({ group: 'main', config: 'uniform', method: 'uniform', options: { grid } });
    else out.push({ group: 'main', config: m, method: m, options: {} });
  }
  return out;
}

function textConfigs(text: { data: Float32Array; shape: [number, number] }): Config[] {
  const out: Config[] = [];
  for (const normalize of NORMALIZES) {
    for (const alpha of ALPHAS) out.push({ group: 'text', config: `resprune α=${alpha} ${normalize}`, method: 'resprune', options: { text, alpha, normalize } });
  }
  out.push({ group: 'text', config: 'relevance-only', method: 'relevance-only', options: { text } });
  out.push({ group: 'text', config: 'cdpruner (paper sign)', method: 'cdpruner', options: { text, relevance: 'paper' } });
  out.push({ group: 'text', config: 'cdpruner (code sign)', method: 'cdpruner', options: { text, relevance: 'code' } });
  out.push({ group: 'text', config: 'mmtok', method: 'mmtok', options: { text } });
  out.push({ group: 'text', config: 'dart', method: 'dart', options: { text } });
  return out;
}

/** The text vector of the ablations: the gradient of the head's log-probability of its top-1 class at the full-grid pool. */
export function headText(net: FeatureExtractor, p: PhotoTokens): { data: Float32Array; shape: [number, number]; top1: number } {
  const all = Array.from({ length: p.n }, (_, i) => i);
  const pooled = meanRows(p.tokens, p.d, all);
  const full = net.classify(pooled);
  const top1 = argmaxOf(full);
  const { grad } = headClassDirection(net.head, pooled, top1);
  return { data: Float32Array.from(grad), shape: [1, p.d], top1 };
}

/** Runs every configuration on one photo. */
export function runPhoto(net: FeatureExtractor, p: PhotoTokens, opts: ExperimentOptions): { rows: Row[]; curves: CurveTiming[] } {
  const raw = new TokenSpace(p.tokens, p.n, p.d, false);
  const cen = new TokenSpace(p.tokens, p.n, p.d, true);
  const textT = headText(net, p);
  const text = { data: textT.data, shape: textT.shape };
  const textTensor = tf.tensor2d(text.data, text.shape);
  const fullProbs = net.classify(averagePoolTokens(p.tokens, p.d));
  const rows: Row[] = [];
  const curves: CurveTiming[] = [];
  try {
    const relevance = computeRelevance(raw.tensor, textTensor);
    const byRelevance = Array.from({ length: p.n }, (_, i) => i).sort((a, b) => relevance[b]! - relevance[a]! || a - b);

    const measure = (c: Config, budget: string, kept: ArrayLike<number>, ms: number, repeats: number): void => {
      const mr = raw.measure(kept);
      const mc = cen.measure(kept);
      const probs = net.classify(averagePoolTokens(p.tokens, p.d, kept));
      rows.push({
        photo: p.name,
        group: c.group,
        config: c.config,
        method: c.method,
        ...(c.seed === undefined ? {} : { seed: c.seed }),
        budget,
        k: kept.length,
        energyRaw: mr.energy,
        energyCentred: mc.energy,
        relErrorRaw: mr.meanRelativeError,
        relErrorCentred: mc.meanRelativeError,
        top1: argmaxOf(probs) === argmaxOf(fullProbs) ? 1 : 0,
        kl: klDivergence(fullProbs, probs),
        ms,
        repeats,
      });
    };

    const run = (c: Config, budget: SelectOptions, label: string, repeats: number): void => {
      let best = Infinity;
      let kept: ArrayLike<number> = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        if (c.method === 'relevance-only') {
          if (budget.keep === undefined) throw new Error('relevance-only takes a count budget');
          kept = Int32Array.from(byRelevance.slice(0, budget.keep)).sort();
        } else {
          kept = selectWith(c.method, raw.tensor, { ...budget, ...(c.options as MethodOptions) }).kept;
        }
        best = Math.min(best, performance.now() - t0);
      }
      measure(c, label, kept, best, repeats);
    };

    const ks = opts.quick === true ? [128] : CURVE_KS;
    const taus = opts.quick === true ? [0.95] : TAUS;
    for (const c of mainConfigs({ rows: p.rows, cols: p.cols })) {
      for (const k of ks) run(c, { keep: k }, `K=${k}`, (TABLE_KS as readonly number[]).includes(k) && c.seed === undefined ? opts.repeats : 1);
      if ((ENERGY_METHODS as readonly string[]).includes(c.method)) for (const tau of taus) run(c, { energy: tau }, `τ=${tau}`, c.seed === undefined ? opts.repeats : 1);
      opts.log?.(`  ${p.name} ${c.config}${c.seed === undefined ? '' : ` seed ${c.seed}`}`);
    }
    for (const c of textConfigs(text)) {
      for (const k of opts.quick === true ? [128] : TABLE_KS) run(c, { keep: k }, `K=${k}`, 1);
    }
    opts.log?.(`  ${p.name} text ablations (head class ${textT.top1})`);
    // the shared captured-energy curve that selectWith computes for peers, timed alone
    for (const k of opts.quick === true ? [128] : TABLE_KS) {
      const order = Int32Array.from({ length: k }, (_, i) => i);
      let best = Infinity;
      for (let r = 0; r < opts.repeats; r++) {
        const t0 = performance.now();
        energyCurve(raw.tensor, order);
        best = Math.min(best, performance.now() - t0);
      }
      curves.push({ photo: p.name, k, ms: best });
    }
  } finally {
    textTensor.dispose();
    raw.dispose();
    cen.dispose();
  }
  return { rows, curves };
}
