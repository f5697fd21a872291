import { ALPHAS, CURVE_KS, ENERGY_METHODS, MAIN_METHODS, NORMALIZES, TABLE_KS, TAUS, type CurveTiming, type Row } from './experiment.js';
import { COLORS, barChart, lineCharts, type LineChart, type Series } from './svg.js';

/** Means of the measured quantities over photos (and seeds). */
export interface Summary {
  readonly count: number;
  readonly k: number;
  readonly kMin: number;
  readonly kMax: number;
  readonly energyRaw: number;
  readonly energyCentred: number;
  readonly relErrorRaw: number;
  readonly relErrorCentred: number;
  readonly top1: number;
  readonly kl: number;
  /** Median over photos of the best-of-repeats time (random: over photos and seeds). */
  readonly ms: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Summary of the rows of one (group, config, budget), or undefined when none. */
export function summarise(rows: readonly Row[], group: string, config: string, budget: string): Summary | undefined {
  const sel = rows.filter((r) => r.group === group && r.config === config && r.budget === budget);
  if (sel.length === 0) return undefined;
  return {
    count: sel.length,
    k: mean(sel.map((r) => r.k)),
    kMin: Math.min(...sel.map((r) => r.k)),
    kMax: Math.max(...sel.map((r) => r.k)),
    energyRaw: mean(sel.map((r) => r.energyRaw)),
    energyCentred: mean(sel.map((r) => r.energyCentred)),
    relErrorRaw: mean(sel.map((r) => r.relErrorRaw)),
    relErrorCentred: mean(sel.map((r) => r.relErrorCentred)),
    top1: mean(sel.map((r) => r.top1)),
    kl: mean(sel.map((r) => r.kl)),
    ms: median(sel.map((r) => r.ms)),
  };
}

const f3 = (v: number): string => v.toFixed(3);
const f4 = (v: number): string => v.toFixed(4);
const pct = (v: number): string => `${Math.round(v * 100)} %`;
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const klf = (v: number): string => (v === 0 ? '0' : v < 1e-4 ? v.toExponential(1) : v.toFixed(4));

/** Bold the best value in a column of numbers (max or min). */
function bestIndex(values: number[], better: 'max' | 'min'): number {
  let j = 0;
  values.forEach((v, i) => {
    if (better === 'max' ? v > values[j]! : v < values[j]!) j = i;
  });
  return j;
}

function table(header: string[], body: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The main tables: one per count budget. */
function countTable(rows: readonly Row[], k: number): string {
  const maybe = MAIN_METHODS.map((m) => summarise(rows, 'main', m, `K=${k}`));
  if (maybe.some((x) => x === undefined)) return '(not measured in this run)';
  const sums = maybe as Summary[];
  const cols: { key: keyof Summary; better: 'max' | 'min'; fmt: (v: number) => string }[] = [
    { key: 'energyRaw', better: 'max', fmt: f4 },
    { key: 'energyCentred', better: 'max', fmt: f4 },
    { key: 'relErrorRaw', better: 'min', fmt: f3 },
    { key: 'top1', better: 'max', fmt: pct },
    { key: 'kl', better: 'min', fmt: klf },
  ];
  const bests = cols.map((c) => bestIndex(sums.map((s) => s[c.key]), c.better));
  const body = sums.map((s, i) => [
    MAIN_METHODS[i] === 'random' ? 'random (5 seeds)' : MAIN_METHODS[i]!,
    ...cols.map((c, j) => {
      const v = c.fmt(s[c.key]);
      return bests[j] === i ? `**${v}**` : v;
    }),
    ms(s.ms),
  ]);
  return table(['method', 'captured energy (raw)', 'captured energy (centred)', 'mean rel. error', 'head top-1 agreement', 'head KL (nats)', 'select ms (median)'], body);
}

function energyTable(rows: readonly Row[]): string {
  const body: string[][] = [];
  for (const tau of TAUS) {
    for (const m of ENERGY_METHODS) {
      const s = summarise(rows, 'main', m, `τ=${tau}`);
      if (s === undefined) continue;
      body.push([`${m}`, String(tau), `${s.k.toFixed(1)} (${s.kMin}–${s.kMax})`, f4(s.energyCentred), f3(s.relErrorRaw), pct(s.top1), klf(s.kl), ms(s.ms)]);
    }
    body.push(['uniform, dart', String(tau), 'refused (`E_BUDGET`)', '', '', '', '', '']);
  }
  return table(['method', 'τ', 'tokens kept: mean (min–max)', 'captured energy (centred)', 'mean rel. error', 'head top-1', 'head KL', 'select ms'], body);
}

function ablationTable(rows: readonly Row[], k: number): string {
  const body: string[][] = [];
  for (const normalize of NORMALIZES) {
    const line = [`\`${normalize}\``];
    for (const alpha of ALPHAS) {
      const s = summarise(rows, 'text', `resprune α=${alpha} ${normalize}`, `K=${k}`);
      line.push(s === undefined ? '' : `${f4(s.energyCentred)} / ${klf(s.kl)}`);
    }
    body.push(line);
  }
  return table(['normalize \\ α', ...ALPHAS.map((a) => `α = ${a}`)], body);
}

function textTable(rows: readonly Row[]): string {
  const configs = ['resprune α=1 none', 'resprune α=2 l2', 'relevance-only', 'cdpruner (paper sign)', 'cdpruner (code sign)', 'mmtok', 'dart'];
  const body: string[][] = [];
  for (const c of configs) {
    const line = [c === 'resprune α=1 none' ? 'resprune (α = 1, none: the defaults)' : c];
    for (const k of TABLE_KS) {
      const s = summarise(rows, 'text', c, `K=${k}`);
      line.push(s === undefined ? '' : `${f4(s.energyRaw)} / ${f4(s.energyCentred)} / ${pct(s.top1)} / ${klf(s.kl)}`);
    }
    body.push(line);
  }
  return table(['configuration (text = head class direction)', ...TABLE_KS.map((k) => `K = ${k}: energy raw / centred / top-1 / KL`)], body);
}

/** Chart data for the figures. */
export function figures(rows: readonly Row[], curves: readonly CurveTiming[]): { name: string; svg: string; alt: string }[] {
  const series = (metric: keyof Summary): Series[] =>
    MAIN_METHODS.map((m) => ({
      label: m,
      color: COLORS[m] ?? '#000',
      dashed: m === 'random' || m === 'uniform',
      points: CURVE_KS.map((k) => [k, summarise(rows, 'main', m, `K=${k}`)?.[metric] ?? NaN] as [number, number]),
    }));
  const xTicks = [...CURVE_KS];
  const energy: LineChart[] = [
    { title: 'Captured energy (raw)', xLabel: 'tokens kept (of 576)', yLabel: 'fraction of Σ‖x‖²', series: series('energyRaw'), xTicks },
    { title: 'Captured energy (mean-centred)', xLabel: 'tokens kept (of 576)', yLabel: 'fraction of Σ‖x − μ‖²', series: series('energyCentred'), xTicks },
  ];
  const head: LineChart[] = [
    { title: 'Head KL(full ‖ kept)', xLabel: 'tokens kept (of 576)', yLabel: 'nats (log scale)', series: series('kl'), logY: true, xTicks },
    { title: 'Mean relative reconstruction error', xLabel: 'tokens kept (of 576)', yLabel: 'mean ‖x − Px‖ / ‖x‖', series: series('relErrorRaw'), xTicks },
  ];
  const abl = (metric: keyof Summary, k: number): Series[] =>
    NORMALIZES.map((n, i): Series => ({
      label: `ResPrune, normalize ${n}`,
      color: ['#d62728', '#1f77b4', '#2ca02c'][i]!,
      points: ALPHAS.map((a) => [a, summarise(rows, 'text', `resprune α=${a} ${n}`, `K=${k}`)?.[metric] ?? NaN] as [number, number]),
    })).concat([
      {
        label: 'relevance-only',
        color: COLORS['relevance-only']!,
        dashed: true,
        points: ALPHAS.map((a) => [a, summarise(rows, 'text', 'relevance-only', `K=${k}`)?.[metric] ?? NaN] as [number, number]),
      },
    ]);
  const ablation: LineChart[] = [
    { title: 'Ablation at K = 128: centred energy', xLabel: 'α (relevance exponent)', yLabel: 'captured energy (centred)', series: abl('energyCentred', 128), xTicks: [...ALPHAS] },
    { title: 'Ablation at K = 128: head KL', xLabel: 'α (relevance exponent)', yLabel: 'nats (log scale)', series: abl('kl', 128), logY: true, xTicks: [...ALPHAS] },
  ];
  const curveMs = median(curves.filter((c) => c.k === 128).map((c) => c.ms));
  const bars = MAIN_METHODS.map((m) => {
    const s = summarise(rows, 'main', m, 'K=128');
    return { label: m, value: s?.ms ?? 0, color: COLORS[m] ?? '#000' };
  });
  return [
    { name: 'quality-energy', svg: lineCharts(energy), alt: 'Captured energy against tokens kept, raw and mean-centred, mean over the photos' },
    { name: 'quality-head', svg: lineCharts(head), alt: 'Classifier-head KL divergence and mean relative reconstruction error against tokens kept' },
    { name: 'quality-ablation', svg: lineCharts(ablation), alt: 'ResPrune ablation over alpha and normalize at K = 128, with relevance-only ranking' },
    {
      name: 'quality-time',
      svg: barChart(
        'Selection time, N = 576, d = 1280, K = 128',
        'ms: selectWith end to end, best of repeats, median over photos (wasm backend)',
        bars,
        760,
        `peers include the shared captured-energy curve (timed alone: ${ms(curveMs)} ms); noisy shared 2-core machine`,
      ),
      alt: 'Selection time per method at K = 128',
    },
  ];
}

type Lookup = (cfg: string, k: number) => Summary | undefined;

/** The headline paragraph, worded from the numbers (no claim that the data does not support). */
function headlineText(s: Lookup, t: Lookup): string {
  const rp = s('resprune', 128)!;
  const peers = MAIN_METHODS.filter((m) => m !== 'resprune').map((m) => ({ m, v: s(m, 128)! }));
  const byEnergy = [...peers].sort((a, b) => b.v.energyCentred - a.v.energyCentred)[0]!;
  const byError = [...peers].sort((a, b) => a.v.relErrorRaw - b.v.relErrorRaw)[0]!;
  const byKl = [...peers].sort((a, b) => a.v.kl - b.v.kl)[0]!;
  const lead = rp.energyCentred >= byEnergy.v.energyCentred ? 'the most of all methods' : `less than ${byEnergy.m}`;
  const out: string[] = [];
  out.push(
    `At K = 128 of 576 (the paper's headline budget, 77.8 % pruned), without text, ResPrune captures ${f4(rp.energyRaw)} of the raw and ` +
      `${f4(rp.energyCentred)} of the centred energy, ${lead} (best peer: ${byEnergy.m}, ${f4(byEnergy.v.energyCentred)} centred; ` +
      `uniform ${f4(s('uniform', 128)!.energyCentred)}, random ${f4(s('random', 128)!.energyCentred)}).`,
  );
  out.push(
    rp.relErrorRaw <= byError.v.relErrorRaw
      ? `It also has the lowest mean per-token relative error (${f3(rp.relErrorRaw)}).`
      : `Its mean per-token relative error is ${f3(rp.relErrorRaw)} against ${f3(byError.v.relErrorRaw)} for ${byError.m}: the energy objective ` +
          `favours the tokens that carry the most energy, so small tokens are reconstructed less well, and an unweighted per-token average counts them as much as large ones.`,
  );
  out.push(
    rp.kl <= byKl.v.kl
      ? `On the classifier head it agrees best (KL ${klf(rp.kl)}, top-1 ${pct(rp.top1)}).`
      : `On the classifier head, ${byKl.m} keeps the pooled average closest (KL ${klf(byKl.v.kl)}, top-1 ${pct(byKl.v.top1)}) against ` +
          `ResPrune's KL ${klf(rp.kl)} (top-1 ${pct(rp.top1)}): a head that averages the kept tokens rewards an unbiased sample of the mean, ` +
          `and a diverse, high-energy subset is not one.`,
  );
  const a0 = t('resprune α=0 none', 128);
  const a1 = t('resprune α=1 none', 128);
  const a4 = t('resprune α=4 none', 128);
  const rel = t('relevance-only', 128);
  if (a0 !== undefined && a1 !== undefined && a4 !== undefined && rel !== undefined) {
    out.push(
      `\n\nWith the class-direction text, raising α from 0 to 4 moves ResPrune towards the class-relevant tokens: centred energy ` +
        `${f4(a0.energyCentred)} → ${f4(a4.energyCentred)}, head KL ${klf(a0.kl)} → ${klf(a4.kl)}, top-1 ${pct(a0.top1)} → ${pct(a4.top1)}. ` +
        `Relevance-only ranking (no subspace term) keeps ${f4(rel.energyCentred)} of the centred energy (KL ${klf(rel.kl)}) against ` +
        `${f4(a1.energyCentred)} (KL ${klf(a1.kl)}) for the full method at α = 1` +
        (rel.energyCentred < a1.energyCentred && rel.kl > a1.kl ? ': as in the paper\'s component ablation, the subspace term is what keeps the set representative.' : '.'),
    );
  }
  return out.join(' ').replace(' \n\n', '\n\n');
}

/** Whether CDPruner (paper sign) and ResPrune α = 2, l2 measured the same on every photo and budget. */
function equivalence(rows: readonly Row[]): string {
  const key = (r: Row): string => `${r.photo} ${r.budget}`;
  const a = new Map(rows.filter((r) => r.config === 'cdpruner (paper sign)').map((r) => [key(r), r]));
  const b = rows.filter((r) => r.config === 'resprune α=2 l2');
  const same = b.filter((r) => {
    const o = a.get(key(r));
    return o !== undefined && o.energyRaw === r.energyRaw && o.kl === r.kl;
  }).length;
  const tie =
    'Without text every kernel diagonal is exactly 1 and the first pick is a pure tie, which CDPruner breaks by the lowest ' +
    'index and ResPrune by the float32 rounding of ‖φ_i‖², so the main table\'s cdpruner and the α = 0, `l2` cell above differ slightly.';
  return same === b.length && b.length > 0
    ? `here the two rows agree on all ${b.length} photo × budget cases. ${tie}`
    : `here ${same} of ${b.length} photo × budget cases agree exactly (the rest part at a near-tie in float32). ${tie}`;
}

/** Everything the markdown needs besides the rows. */
export interface ReportContext {
  readonly command: string;
  readonly date: string;
  readonly backend: string;
  readonly node: string;
  readonly cpus: string;
  readonly photos: readonly { name: string; top1: string }[];
  readonly repeats: number;
  readonly totalSeconds: number;
  readonly curves: readonly CurveTiming[];
  readonly images: readonly { name: string; alt: string }[];
}

/** The markdown page. */
export function markdown(rows: readonly Row[], ctx: ReportContext): string {
  const curveMs = (k: number): string => ms(median(ctx.curves.filter((c) => c.k === k).map((c) => c.ms)));
  const img = (name: string): string => {
    const i = ctx.images.find((x) => x.name === name);
    return i === undefined ? '' : `![${i.alt}](images/${i.name}.png)`;
  };
  const s = (cfg: string, k: number): Summary | undefined => summarise(rows, 'main', cfg, `K=${k}`);
  const t = (cfg: string, k: number): Summary | undefined => summarise(rows, 'text', cfg, `K=${k}`);
  const headline = headlineText(s, t);
  return `# Quality benchmark: ResPrune and its peers on real visual tokens

Generated by \`${ctx.command}\` on ${ctx.date} (${ctx.backend} backend, Node ${ctx.node}, ${ctx.cpus}; ${ctx.photos.length} photos, ${rows.length} measured selections, ${Math.round(ctx.totalSeconds)} s). Do not edit by hand: change \`apps/quality\` and run the command again. Raw per-photo numbers: \`apps/quality/results/quality.json\`.

## What this measures, and what it does not

No vision-language model weights can be downloaded where this project is built, so this page does
**not** measure any VQA accuracy (GQA, POPE, TextVQA, …) and its numbers are **not comparable** with
the papers' "relative performance" figures. What it measures honestly, on real features:

- **Tokens:** the 24 × 24 = 576-token grids (d = 1280) of the MobileNetV2 of nsfwjs
  (\`@resprune/image-features\`, \`out_relu\` layer at 768 × 768 input) for ${ctx.photos.length} photos
  (${ctx.photos.map((p) => p.name).join(', ')}; sample data of Debian's \`darknet\` and \`python3-skimage\`, see
  \`apps/quality/README.md\`; dog.jpg, horses.jpg and chelsea.png are in \`assets/photos/\` with their licences). Same count as LLaVA-1.5, but a
  CNN's ReLU6 features, not CLIP tokens after a projector: the geometry differs (all entries ≥ 0).
- **Captured energy** of the kept set S: the fraction of \`Σ_i ‖x_i‖²\` lying in span(S) (raw), and
  the same for mean-centred tokens \`x_i − μ\` projected on the span of the centred kept tokens. This is
  ResPrune's own objective, so it favours ResPrune by construction; read it as "how much of the
  token set the kept tokens can linearly reconstruct".
- **Mean relative reconstruction error:** least squares of every token on the kept ones,
  \`mean_i ‖x_i − P_S x_i‖ / ‖x_i‖\` (raw tokens; kept tokens count as 0). Unlike the energy it weighs
  every token the same, however small.
- **Classifier-head agreement:** the network's own head (global average pool → 3 dense layers →
  5 classes) applied to the average of the kept tokens only, against the average of all tokens:
  top-1 agreement and KL(full ‖ kept). A pooled head is a weak proxy for an LLM, and its 5 classes
  (Drawing, Hentai, Neutral, Porn, Sexy) are nearly certain on these photos, so KL is small for every
  method; the ranking, not the size, is the signal. With ${ctx.photos.length} photos, one photo that disagrees moves
  top-1 agreement by ${(100 / ctx.photos.length).toFixed(1)} points (random: by a fifth of that, over 5 seeds).
- **Selection time:** \`selectWith(method, tensor, options)\` end to end (input checks, relevance,
  selection, energy curve), best of ${ctx.repeats} runs per photo, median over photos. The machine is a
  shared 2-core x86 box with other jobs running: timings are noisy, compare them only within this page.
  For peers \`selectWith\` also computes the shared captured-energy curve, which took a median
  ${curveMs(64)} / ${curveMs(128)} / ${curveMs(192)} ms at K = 64 / 128 / 192 (ResPrune gets its curve from its own greedy).
- **Text:** there is no prompt here. The main comparison runs every method **without text**. The
  ablations need text vectors, so they use the head's **class direction**: the gradient of the head's
  log-probability of its top-1 class at the full-grid pool (one vector, d = 1280). That vector comes
  from the same head that scores agreement, so the text rows are no independent test of text
  conditioning: they show what conditioning does to the selections and to a mean-pooling head,
  nothing more.

Random is averaged over seeds ${'0–4'}; uniform uses the 24 × 24 grid. Energy budgets are applied
through each method's pick order (see the selector README); uniform and DART refuse them
(\`E_BUDGET\`) because their selections of different sizes are not nested.

## Headline

${headline}

${img('quality-energy')}

${img('quality-head')}

## Count budgets (no text)

Mean over the photos; **bold** is the best in each column.

### K = 64 (88.9 % pruned)

${countTable(rows, 64)}

### K = 128 (77.8 % pruned)

${countTable(rows, 128)}

### K = 192 (66.7 % pruned)

${countTable(rows, 192)}

## Energy budgets (no text)

\`{ energy: τ }\` keeps the fewest tokens along the method's pick order whose captured raw energy
reaches τ, so each photo gets its own K. ResPrune stops its greedy as soon as τ is reached. A peer
has no energy notion of its own: it computes its whole pick order up to \`maxKeep\` (default N) and
the shared code computes the unit-weight curve along all of it before cutting, which is why energy
budgets cost the peers seconds here; pass \`maxKeep\` to bound that.

${energyTable(rows)}

## Ablations (text = head class direction)

ResPrune over α × \`normalize\` at K = 128: each cell is captured energy (centred) / head KL.

${ablationTable(rows, 128)}

${img('quality-ablation')}

Text-aware methods with the same text vector, and ResPrune's relevance-only ranking (top-K by r,
no subspace term) against the full method:

${textTable(rows)}

With a single text vector CDPruner's mean and max aggregations coincide, so its paper-sign row uses
the same r as ResPrune at α = 2, \`l2\`, which selects what CDPruner selects ([method](guide/method.md#cdpruner-as-a-special-case); a unit
test holds the two to the same picks): ${equivalence(rows)} The code-sign row shows what the
published code's negated relevance does to the same inputs.

## Which tokens each method keeps

${img('quality-overlays')}

K = 64 on one photo: kept cells at full brightness, outlined; the last tile is ResPrune with the
class-direction text.

## Selection time

${img('quality-time')}

Peers were written from their papers' descriptions in TypeScript on TensorFlow.js, not ported from
their PyTorch code, so their times here say how these implementations run, not how fast the original
code is ([the method page](guide/method.md#peer-methods) lists PyTorch CPU timings for CDPruner and DivPrune).

## Regenerate

\`\`\`sh
pnpm --filter @resprune/example-quality... build
pnpm --filter @resprune/example-quality quality
\`\`\`

The first run extracts the tokens (about 1.5 s per photo on wasm) and caches them as \`.npy\` under
\`apps/quality/.cache/\` (gitignored); later runs reuse them. \`--quick\` runs one photo at K = 128 only
(a smoke check, it does not write the docs unless \`--out\` is given); \`--help\` lists the options.
`;
}
