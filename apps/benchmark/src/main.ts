#!/usr/bin/env node
/**
 * resprune-bench: times the ResPrune selection on every available implementation, side by side in
 * one run on the same float32 inputs, next to a NumPy implementation of the same greedy and the
 * CDPruner / DivPrune references (Python; PyTorch when available).
 *
 *   node apps/benchmark/dist/main.js [--suite peers,foundation,scaling] [--repeat 5] [--rounds 3] [--threads 2]
 *        [--backends fast,fast-1t,select(),tfjs-cpu,tfjs-wasm,tfjs-cpu+fast-kernel,tfjs-wasm+fast-kernel]
 *        [--python PATH | --no-python] [--no-browser] [--out report.md] [--svg scaling.svg] [--json results.json] [--quick]
 *   node apps/benchmark/dist/main.js --merge run1.json,run2.json --out report.md --svg scaling.svg
 *
 * The peers suite alternates the implementations in `--rounds` rounds of `--repeat` runs each
 * (ours, then the Python references, then ours again, …), so a machine whose speed drifts during
 * the run (a shared host) slows both sides alike; each cell is the best of all its runs. Runs taken
 * at different times can also be merged cell by cell (best time).
 */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFastEngine } from '@resprune/linalg';
import { meanPairwiseCosine, syntheticTokens } from '@resprune/synthetic-tokens';
import { browserAvailable, browserTimings, type BrowserTiming } from './browser.js';
import { findPython, runPeers, type PeerResult } from './peers.js';
import { fastRunner, firstDifference, sameSet, selectorRunner, tfjsRunner, time, type Problem, type Runner, type Timing } from './runners.js';
import { merge, renderMarkdown, type Cell, type PeerRow, type Results } from './report.js';

/** Seed of the peers suite's inputs (the browser page rebuilds them from it). */
const PEER_SEED = 7;
/** The built web demo, whose bench.html times the engine in the browser. */
const WEB_DIST = fileURLToPath(new URL('../../web-demo/dist', import.meta.url));
import { scalingSvg } from './scaling.js';

interface Args {
  suites: string[];
  repeat: number;
  rounds: number;
  threads: number;
  backends: string[];
  python: string | undefined;
  noPython: boolean;
  out: string | undefined;
  svg: string | undefined;
  json: string | undefined;
  quick: boolean;
  browser: boolean;
  merge: string[];
}

const ALL_BACKENDS = ['fast', 'fast-1t', 'select()', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-cpu+fast-kernel', 'tfjs-wasm+fast-kernel'];

function parseArgs(argv: string[]): Args {
  const a: Args = { suites: ['peers', 'foundation'], repeat: 5, rounds: 3, threads: 2, backends: ALL_BACKENDS, python: undefined, noPython: false, out: undefined, svg: undefined, json: undefined, quick: false, browser: true, merge: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--suite') a.suites = next().split(',');
    else if (arg === '--repeat') a.repeat = Number(next());
    else if (arg === '--rounds') a.rounds = Number(next());
    else if (arg === '--threads') a.threads = Number(next());
    else if (arg === '--backends') a.backends = next().split(',');
    else if (arg === '--python') a.python = next();
    else if (arg === '--no-python') a.noPython = true;
    else if (arg === '--out') a.out = next();
    else if (arg === '--svg') a.svg = next();
    else if (arg === '--json') a.json = next();
    else if (arg === '--merge') a.merge = next().split(',');
    else if (arg === '--quick') a.quick = true;
    else if (arg === '--no-browser') a.browser = false;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: resprune-bench [--suite peers,foundation,scaling] [--repeat R] [--rounds R] [--threads T] [--backends list] [--python PATH|--no-python] [--no-browser] [--out FILE.md] [--svg FILE.svg] [--json FILE.json] [--quick] | --merge a.json,b.json [--out] [--svg]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(a.repeat) || a.repeat < 1) throw new Error('--repeat must be an integer ≥ 1');
  if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be an integer ≥ 1');
  if (!Number.isInteger(a.threads) || a.threads < 1) throw new Error('--threads must be an integer ≥ 1');
  for (const b of a.backends) if (!ALL_BACKENDS.includes(b)) throw new Error(`unknown backend ${b}; known: ${ALL_BACKENDS.join(', ')}`);
  return a;
}

function machine(): Record<string, string> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const l = execSync('lscpu', { encoding: 'utf8' });
    model = /Model name:\s*(.+)/.exec(l)?.[1]?.trim() ?? model;
  } catch {
    /* lscpu missing: keep os.cpus() */
  }
  let load = '';
  try {
    load = execSync('cat /proc/loadavg', { encoding: 'utf8' }).trim();
  } catch {
    /* not Linux */
  }
  return { cpu: model, cores: String(cpus().length), memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`, node: process.version, platform: `${process.platform} ${process.arch}`, loadavg: load };
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const log = (s: string): void => {
  process.stderr.write(s + '\n');
};

function problem(n: number, d: number, k: number, seed: number): Problem {
  return { visual: syntheticTokens(n, d, seed), text: syntheticTokens(8, d, seed + 1000, 24), n, d, k };
}

/** The rounds of one measurement pooled: every run in order, the best of them, the rest from the last round. */
function pooled<T extends { readonly runs: number[] }>(rounds: readonly T[]): T & { ms: number; runs: number[] } {
  const runs = rounds.flatMap((t) => t.runs);
  return { ...rounds.at(-1)!, ms: Math.min(...runs), runs };
}

/** One peer result from several rounds: per method, best of all runs, runs in order. */
function mergePeerRounds(rounds: PeerResult[]): PeerResult {
  const last = rounds.at(-1)!;
  const methods: PeerResult['methods'] = {};
  for (const name of Object.keys(last.methods)) {
    methods[name] = pooled(rounds.flatMap((r) => (r.methods[name] === undefined ? [] : [r.methods[name]])));
  }
  return { ...last, methods };
}

/** The browser columns of a peers row: best of every round, and whether its picks are Node's. */
function browserRow(rounds: BrowserTiming[][], nodeOrder: Int32Array, chromium: string): NonNullable<PeerRow['browser']> {
  const pick = (mode: 'threads' | 'single'): BrowserTiming[] => rounds.map((r) => r.find((t) => t.request.mode === mode)!);
  const asCell = (ts: BrowserTiming[]): Cell => {
    const p = pooled(ts);
    return { ms: p.ms, runs: p.runs, stats: { kind: p.kind, threads: p.threads } };
  };
  const all = rounds.flat();
  return {
    threads: asCell(pick('threads')),
    single: asCell(pick('single')),
    chromium,
    samePicks: all.every((t) => firstDifference(t.order, nodeOrder) < 0),
  };
}

/** `Chromium 1xx.…` from the executable, or plain `Chromium`. */
function chromiumVersion(path: string): string {
  try {
    return execSync(`${JSON.stringify(path)} --version`, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'Chromium';
  } catch {
    return 'Chromium';
  }
}

function cell(t: Timing): Cell {
  return {
    ms: t.ms,
    runs: t.runs,
    ...(t.memoryBytes === undefined ? {} : { memoryBytes: t.memoryBytes }),
    ...(t.stats === undefined ? {} : { stats: t.stats }),
  };
}

function writeReport(results: Results, args: Args): void {
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1));
  if (args.svg !== undefined && results.scaling !== undefined) {
    writeFileSync(args.svg, scalingSvg(results.scaling, `ResPrune fast path, ${results.threads} threads, ${results.machine['cpu']}, Node ${results.machine['node']}`));
    log(`wrote ${args.svg}`);
  }
  const report = renderMarkdown(results, args.svg === undefined ? undefined : basename(args.svg));
  if (args.out !== undefined) {
    writeFileSync(args.out, report);
    log(`wrote ${args.out}`);
  } else console.log(report);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.merge.length > 0) {
    writeReport(merge(args.merge.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results)), args);
    return;
  }
  const mach = machine();
  log(`machine: ${mach['cpu']}, ${mach['cores']} cores, node ${mach['node']}, load ${mach['loadavg']}`);
  const engine = await createFastEngine({ threads: args.threads });
  const single = await createFastEngine({ mode: 'single' });
  log(`fast engine: ${engine.kind} × ${engine.threads}`);
  const py = args.noPython ? { numpy: undefined, torch: undefined, notes: ['--no-python: Python references skipped.'] } : findPython(args.python);
  for (const note of py.notes) log(`note: ${note}`);
  const runners: Record<string, Runner> = {};
  const pick = (name: string, make: () => Runner): void => {
    if (args.backends.includes(name)) runners[name] = make();
  };
  pick('fast', () => fastRunner('fast', engine));
  pick('fast-1t', () => fastRunner('fast-1t', single));
  pick('select()', () => selectorRunner(engine));
  pick('tfjs-cpu', () => tfjsRunner('cpu', undefined));
  pick('tfjs-wasm', () => tfjsRunner('wasm', undefined));
  pick('tfjs-cpu+fast-kernel', () => tfjsRunner('cpu', engine));
  pick('tfjs-wasm+fast-kernel', () => tfjsRunner('wasm', engine));
  const results: Results = {
    machine: mach,
    command: `node apps/benchmark/dist/main.js ${process.argv.slice(2).join(' ')}`.trim(),
    notes: py.notes,
    threads: engine.threads,
    rounds: args.rounds,
  };

  // ---- the issue's three shapes against CDPruner and DivPrune -----------------------------------
  if (args.suites.includes('peers')) {
    // the same engine in headless Chromium, in the same rounds (the web demo's bench page)
    let browser: string | undefined;
    let browserVersion = 'Chromium';
    if (args.browser) {
      const b = browserAvailable({ distDir: WEB_DIST });
      if (b.ok) {
        browser = b.chromium;
        browserVersion = chromiumVersion(b.chromium);
      } else {
        results.notes.push(`Browser timings skipped: ${b.reason}.`);
        log(`note: browser timings skipped: ${b.reason}`);
      }
    }
    const shapes = args.quick ? [[144, 512, 32, 0.7]] : [[576, 4096, 128, 0.7], [1296, 3584, 144, 0.35], [2880, 4096, 320, 0.5]];
    const torch = py.torch !== undefined;
    const peerNames = torch ? ['cdpruner-torch', 'divprune-torch'] : ['cdpruner-numpy', 'divprune-numpy'];
    results.peers = [];
    for (const [n, d, k, target] of shapes as Array<[number, number, number, number]>) {
      const p = problem(n, d, k, PEER_SEED);
      log(`peers: N=${n} d=${d} K=${k} (mean pairwise cosine ${meanPairwiseCosine(p.visual, n, d).toFixed(2)})`);
      // rounds: ours, then the references, again and again, so drift in machine speed hits both
      const fastRounds: Timing[] = [];
      const oneRounds: Timing[] = [];
      const peerRounds: PeerResult[] = [];
      const browserRounds: BrowserTiming[][] = [];
      const python = torch ? py.torch : py.numpy;
      for (let round = 0; round < args.rounds; round++) {
        fastRounds.push(await time(fastRunner('fast', engine), p, args.repeat));
        oneRounds.push(await time(fastRunner('fast-1t', single), p, args.repeat));
        if (browser !== undefined) {
          const req = { n, d, k, seed: PEER_SEED, repeat: args.repeat };
          browserRounds.push(await browserTimings({ distDir: WEB_DIST, chromium: browser, isolated: true, requests: [{ ...req, mode: 'threads' }, { ...req, mode: 'single' }] }));
        }
        if (python !== undefined) peerRounds.push(runPeers(python, p.visual, p.text, n, d, k, args.repeat, peerNames, args.threads));
      }
      const fast = pooled(fastRounds);
      const one = pooled(oneRounds);
      // CDPruner's selection equals ResPrune with alpha 2 and l2 rows (docs/guide/method.md#cdpruner-as-a-special-case): check the picks
      const cdp = engine.select(p.visual, n, d, { keep: k, text: p.text, alpha: 2, normalize: 'l2' });
      const peers = peerRounds.length === 0 ? undefined : mergePeerRounds(peerRounds);
      const c = peers?.methods[peerNames[0]!];
      const dv = peers?.methods[peerNames[1]!];
      const row: PeerRow = {
        n, d, k, target,
        fast: cell(fast),
        single: cell(one),
        peerKind: torch ? 'torch' : 'numpy',
        ...(c === undefined ? {} : { cdpruner: { ms: c.ms, runs: c.runs }, sameAsCdpruner: sameSet(cdp.order, c.order) }),
        ...(dv === undefined ? {} : { divprune: { ms: dv.ms, runs: dv.runs } }),
        ...(browserRounds.length === 0 ? {} : { browser: browserRow(browserRounds, fast.order, browserVersion) }),
      };
      results.peers.push(row);
      log(`  fast ${ms(fast.ms)} ms [${fast.runs.map(ms).join(' ')}] ${JSON.stringify(fast.stats)}; 1t ${ms(one.ms)}; CDPruner ${ms(c?.ms)} [${c?.runs.map(ms).join(' ') ?? ''}]; DivPrune ${ms(dv?.ms)}; ratio ${c === undefined ? '–' : (fast.ms / c.ms).toFixed(3)}`);
    }
  }

  // ---- the foundation issue's grid on every backend, next to the NumPy greedy -------------------
  if (args.suites.includes('foundation')) {
    const grid = args.quick ? [[144, 512, [16, 32]]] : [[576, 4096, [64, 128, 192]], [2880, 4096, [160, 320, 640]]];
    const names = Object.keys(runners);
    results.grid = [];
    for (const [n, d, ks] of grid as Array<[number, number, number[]]>) {
      for (const k of ks) {
        const p = problem(n, d, k, 11);
        log(`foundation: N=${n} d=${d} K=${k}`);
        const res: Record<string, Timing> = {};
        for (const name of names) {
          const slow = name.startsWith('tfjs-') && !name.endsWith('fast-kernel');
          res[name] = await time(runners[name]!, p, slow ? Math.min(args.repeat, 3) : args.repeat, slow ? 5_000 : 20_000);
          log(`  ${name}: ${ms(res[name]!.ms)} ms [${res[name]!.runs.map(ms).join(' ')}]`);
        }
        let numpy: PeerResult | undefined;
        if (py.numpy !== undefined) numpy = runPeers(py.numpy, p.visual, p.text, n, d, k, Math.min(args.repeat, 3), ['numpy-greedy'], args.threads);
        const np = numpy?.methods['numpy-greedy'];
        const agreement: Record<string, string> = {};
        if (np !== undefined) {
          for (const b of names) {
            const at = firstDifference(res[b]!.order, np.order);
            const gap = np.gaps?.[at];
            agreement[b] = at < 0 ? 'yes' : `first difference at pick ${at}${gap === undefined ? '' : ` (NumPy's top-2 margin there: ${gap.toExponential(1)})`}`;
          }
          log(`  numpy-greedy: ${ms(np.ms)} ms [${np.runs.map(ms).join(' ')}]; ${JSON.stringify(agreement)}`);
        }
        results.grid.push({
          n, d, k,
          cells: Object.fromEntries(names.map((b) => [b, cell(res[b]!)])),
          ...(np === undefined ? {} : { numpy: { ms: np.ms, runs: np.runs } }),
          agreement,
        });
      }
    }
  }

  // ---- scaling study of the fast path ------------------------------------------------------------
  if (args.suites.includes('scaling')) {
    const q = args.quick;
    const plan: Array<{ variable: string; fixed: string; values: number[]; shape: (v: number) => [number, number, number] }> = [
      { variable: 'N', fixed: 'd=4096, K=128', values: q ? [128, 256] : [288, 576, 1152, 2304], shape: (v) => [v, q ? 256 : 4096, q ? 32 : 128] },
      { variable: 'K', fixed: 'N=2304, d=4096', values: q ? [16, 32] : [32, 64, 128, 256], shape: (v) => [q ? 256 : 2304, q ? 256 : 4096, v] },
      { variable: 'd', fixed: 'N=1152, K=128', values: q ? [128, 256] : [1024, 2048, 4096, 8192], shape: (v) => [q ? 256 : 1152, v, q ? 32 : 128] },
    ];
    results.scaling = [];
    for (const s of plan) {
      const points: Array<{ x: number; ms: number }> = [];
      for (const v of s.values) {
        const [n, d, k] = s.shape(v);
        const t = await time(fastRunner('fast', engine), problem(n, d, k, 21), args.repeat);
        points.push({ x: v, ms: t.ms });
        log(`scaling ${s.variable}=${v}: ${ms(t.ms)} ms`);
      }
      results.scaling.push({ variable: s.variable, fixed: s.fixed, points });
    }
  }

  await engine.dispose();
  await single.dispose();
  writeReport(results, args);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
