/**
 * Plain float64 implementations of the peer methods, written from the papers' descriptions (and
 * the documented choices of each method's TSDoc), independently of the library code: no tensors,
 * no shared helpers, the most literal form of each definition (determinants for CDPruner, the
 * objective recomputed from scratch for MMTok). Each greedy also reports the smallest relative gap
 * between the winner and the runner-up over its steps, so tests can skip inputs whose float32
 * arithmetic may legitimately break a near-tie differently.
 */
import { rng } from '../helpers.js';

export type Rows = number[][];

export interface Reference {
  order: number[];
  scores: number[];
  /** Smallest (best − second) / max(|best|, tiny) over the greedy steps; Infinity without choices. */
  gap: number;
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, k) => s + v * b[k]!, 0);
export const unit = (a: number[]): number[] => {
  const s = Math.sqrt(dot(a, a));
  return s > 0 ? a.map((v) => v / s) : a.map(() => 0);
};
export const cos = (a: number[], b: number[]): number => dot(unit(a), unit(b));

/** argmax over candidates, ties to the lowest index, with the relative gap to the runner-up. */
function pick(values: number[], ok: (i: number) => boolean): { j: number; gap: number; abs: number } {
  let j = -1;
  for (let i = 0; i < values.length; i++) if (ok(i) && (j < 0 || values[i]! > values[j]!)) j = i;
  let second = -Infinity;
  for (let i = 0; i < values.length; i++) if (ok(i) && i !== j && values[i]! > second) second = values[i]!;
  const abs = second === -Infinity ? Infinity : values[j]! - second;
  return { j, gap: abs / Math.max(Math.abs(values[j]!), 1e-300), abs };
}

/** random: one mulberry32 key per token in index order, ascending keys, first K. */
export function randomRef(n: number, k: number, seed: number): number[] {
  const next = rng(seed);
  const keys = Array.from({ length: n }, () => next());
  return Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => keys[a]! - keys[b]! || a - b)
    .slice(0, k);
}

/** uniform over a sequence: the centre of each of K equal segments. */
export function stridedRef(n: number, k: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < k; t++) out.push(Math.floor(((t + 0.5) * n) / k));
  return out;
}

/** uniform over a grid, as documented in gridIndices. */
export function gridRef(rows: number, cols: number, k: number): number[] {
  let g = Math.round(Math.sqrt((k * rows) / cols));
  g = Math.max(g, Math.ceil(k / cols));
  g = Math.min(g, rows, k);
  const out: number[] = [];
  for (let a = 0; a < g; a++) {
    const count = Math.floor(((a + 1) * k) / g) - Math.floor((a * k) / g);
    for (let b = 0; b < count; b++) out.push(Math.floor(((a + 0.5) * rows) / g) * cols + Math.floor(((b + 0.5) * cols) / count));
  }
  return out;
}

/** DivPrune: farthest nearest neighbour first, then max–min cosine distance to the chosen set. */
export function divpruneRef(v: Rows, k: number): Reference {
  const n = v.length;
  const D = v.map((a) => v.map((b) => 1 - cos(a, b)));
  const nn = v.map((_, i) => (n === 1 ? 2 : Math.min(...D[i]!.filter((_, j) => j !== i))));
  const first = pick(nn, () => true);
  const out: Reference = { order: [first.j], scores: [nn[first.j]!], gap: first.gap };
  while (out.order.length < k) {
    const minDist = v.map((_, i) => Math.min(...out.order.map((s) => D[i]![s]!)));
    const p = pick(minDist, (i) => !out.order.includes(i));
    out.order.push(p.j);
    out.scores.push(minDist[p.j]!);
    out.gap = Math.min(out.gap, p.gap);
  }
  return out;
}

/** min–max normalisation with the 1e-6 of docs/guide/method.md#1-relevance. */
export function minMax(c: number[]): number[] {
  const lo = Math.min(...c);
  const hi = Math.max(...c);
  return c.map((x) => (x - lo + 1e-6) / (hi - lo + 1e-6));
}

/** CDPruner relevance: mean cosine to the text ('paper'), its negation ('code') or the max of docs/guide/method.md#1-relevance ('spec'). */
export function cdRelevance(v: Rows, text: Rows, mode: 'paper' | 'code' | 'spec'): number[] {
  if (text.length === 0) return v.map(() => 1);
  if (mode === 'spec') return minMax(v.map((a) => Math.max(...text.map((t) => cos(a, t)))));
  const sign = mode === 'code' ? -1 : 1;
  return minMax(v.map((a) => (sign * text.reduce((s, t) => s + cos(a, t), 0)) / text.length));
}

/** Determinant by Gaussian elimination with partial pivoting (float64). */
function det(m: number[][]): number {
  const a = m.map((row) => row.slice());
  const n = a.length;
  let d = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (a[p]![c] === 0) return 0;
    if (p !== c) {
      [a[p], a[c]] = [a[c]!, a[p]!];
      d = -d;
    }
    d *= a[c]![c]!;
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let q = c; q < n; q++) a[r]![q]! -= f * a[c]![q]!;
    }
  }
  return d;
}

/**
 * CDPruner: greedy MAP for the DPP with kernel L = diag(r)·cos·diag(r), literally: each step adds
 * the token maximising det(L_{S∪i}); its gain det(L_{S∪i}) / det(L_S) is the score. When every gain
 * is ≤ tol × max L_ii, the rest is filled by L_ii descending.
 */
export function cdprunerRef(v: Rows, r: number[], k: number, tol = 1e-6): Reference {
  const n = v.length;
  const L = (i: number, j: number): number => r[i]! * r[j]! * cos(v[i]!, v[j]!);
  const diag = v.map((_, i) => L(i, i));
  const maxDiag = Math.max(...diag);
  const out: Reference = { order: [], scores: [], gap: Infinity };
  let base = 1;
  while (out.order.length < k) {
    const dets = v.map((_, i) => {
      if (out.order.includes(i)) return -Infinity;
      const s = [...out.order, i];
      return det(s.map((a) => s.map((b) => L(a, b))));
    });
    const p = pick(dets, (i) => !out.order.includes(i));
    const gain = dets[p.j]! / base;
    if (!(gain > tol * maxDiag)) break;
    out.order.push(p.j);
    out.scores.push(gain);
    out.gap = Math.min(out.gap, p.gap);
    base = dets[p.j]!;
  }
  const rest = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !out.order.includes(i))
    .sort((a, b) => diag[b]! - diag[a]! || a - b);
  while (out.order.length < k) {
    out.order.push(rest.shift()!);
    out.scores.push(0);
  }
  return out;
}

const l1 = (a: number[]): number => a.reduce((s, x) => s + Math.abs(x), 0);
const byDesc = (key: number[]): number[] => key.map((_, i) => i).sort((a, b) => key[b]! - key[a]! || a - b);

/** DART at embedding level, exact K, as documented in dartMethod; `gap` is absolute (cosine units). */
export function dartRef(v: Rows, text: Rows, k: number, imagePivots?: number, textPivots = 4): Reference {
  const pImg = Math.min(imagePivots ?? (text.length > 0 ? 4 : 8), v.length);
  const pTxt = Math.min(textPivots, text.length);
  const imgPiv = byDesc(v.map(l1)).slice(0, pImg);
  const txtPiv = byDesc(text.map(l1)).slice(0, pTxt);
  const order = imgPiv.slice(0, k);
  const scores = order.map((i) => l1(v[i]!));
  let gap = Infinity;
  const q = Math.ceil((k - pImg) / (pImg + pTxt));
  const pivots = [...imgPiv.map((i) => v[i]!), ...txtPiv.map((i) => text[i]!)];
  for (const p of pivots) {
    let got = 0;
    while (got < q && order.length < k) {
      const sims = v.map((x) => -cos(p, x)); // least similar = largest negative cosine
      const c = pick(sims, (i) => !order.includes(i));
      order.push(c.j);
      scores.push(1 + sims[c.j]!);
      gap = Math.min(gap, c.abs);
      got++;
    }
  }
  return { order, scores, gap };
}

/** softmax over candidates of cos(target, v_i) / τ, float64. */
function coverageRow(target: number[], v: Rows, tau: number): number[] {
  const c = v.map((x) => cos(target, x) / tau);
  const m = Math.max(...c);
  const e = c.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** MMTok: plain greedy on F(S) recomputed from scratch for every candidate. */
export function mmtokRef(v: Rows, text: Rows, k: number, tau = 0.1, lambda = 0.5): Reference {
  const n = v.length;
  const m = text.length;
  const Pv = v.map((t) => coverageRow(t, v, tau));
  const Pt = text.map((t) => coverageRow(t, v, tau));
  const F = (S: number[]): number => {
    if (S.length === 0) return 0;
    const fv = Pv.reduce((s, row) => s + Math.max(...S.map((i) => row[i]!)), 0) / n;
    if (m === 0) return fv;
    const ft = Pt.reduce((s, row) => s + Math.max(...S.map((i) => row[i]!)), 0) / m;
    return (1 - lambda) * fv + lambda * ft;
  };
  const out: Reference = { order: [], scores: [], gap: Infinity };
  while (out.order.length < k) {
    const base = F(out.order);
    const gains = v.map((_, i) => (out.order.includes(i) ? -Infinity : F([...out.order, i]) - base));
    const p = pick(gains, (i) => !out.order.includes(i));
    out.order.push(p.j);
    out.scores.push(gains[p.j]!);
    out.gap = Math.min(out.gap, p.gap);
  }
  return out;
}
