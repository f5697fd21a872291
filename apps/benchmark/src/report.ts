import { fitSlope, type Series } from './scaling.js';

/** One timed implementation in a result row (orders dropped once checked). */
export interface Cell {
  ms: number;
  runs: number[];
  memoryBytes?: number;
  stats?: Record<string, number | string>;
}

/** A row of the peers suite. */
export interface PeerRow {
  n: number;
  d: number;
  k: number;
  target: number;
  fast: Cell;
  single: Cell;
  cdpruner?: Cell;
  divprune?: Cell;
  peerKind: 'torch' | 'numpy';
  sameAsCdpruner?: boolean;
  /** The same engine in headless Chromium (the web demo's bench page), when measured. */
  browser?: { threads: Cell; single: Cell; chromium: string; samePicks: boolean };
}

/** A row of the foundation grid. */
export interface GridRow {
  n: number;
  d: number;
  k: number;
  cells: Record<string, Cell>;
  numpy?: Cell;
  /** Per implementation: 'yes', or the first differing pick and NumPy's top-2 margin there. */
  agreement: Record<string, string>;
}

/** Everything one benchmark run measured. */
export interface Results {
  machine: Record<string, string>;
  command: string;
  notes: string[];
  threads: number;
  /** Rounds the peers suite alternated ours and the references in (absent in older results: 1). */
  rounds?: number;
  peers?: PeerRow[];
  grid?: GridRow[];
  scaling?: Series[];
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mib = (b: number | undefined): string => (b === undefined ? '–' : (b / 2 ** 20).toFixed(1));

function better(a: Cell | undefined, b: Cell | undefined): Cell | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { ...(b.ms < a.ms ? b : a), runs: [...a.runs, ...b.runs] };
}

/** Merges runs of the same benchmark (taken at different times): per cell, the best time. */
export function merge(all: Results[]): Results {
  const first = all[0]!;
  const out: Results = { ...first, machine: { ...first.machine, loadavg: all.map((r) => r.machine['loadavg'] ?? '').join(' | ') }, command: first.command };
  const key = (r: { n: number; d: number; k: number }): string => `${r.n}x${r.d}x${r.k}`;
  if (all.some((r) => r.peers)) {
    const map = new Map<string, PeerRow>();
    for (const r of all) {
      for (const row of r.peers ?? []) {
        const prev = map.get(key(row));
        if (prev === undefined) map.set(key(row), structuredClone(row));
        else {
          const fast = better(prev.fast, row.fast)!;
          const single = better(prev.single, row.single)!;
          const cdpruner = better(prev.cdpruner, row.cdpruner);
          const divprune = better(prev.divprune, row.divprune);
          map.set(key(row), {
            ...prev,
            fast,
            single,
            ...(cdpruner === undefined ? {} : { cdpruner }),
            ...(divprune === undefined ? {} : { divprune }),
            ...(prev.sameAsCdpruner === undefined || row.sameAsCdpruner === undefined ? {} : { sameAsCdpruner: prev.sameAsCdpruner && row.sameAsCdpruner }),
          });
        }
      }
    }
    out.peers = [...map.values()];
  }
  if (all.some((r) => r.grid)) {
    const map = new Map<string, GridRow>();
    for (const r of all) {
      for (const row of r.grid ?? []) {
        const prev = map.get(key(row));
        if (prev === undefined) map.set(key(row), structuredClone(row));
        else {
          for (const [name, cell] of Object.entries(row.cells)) prev.cells[name] = better(prev.cells[name], cell)!;
          const numpy = better(prev.numpy, row.numpy);
          if (numpy !== undefined) prev.numpy = numpy;
        }
      }
    }
    out.grid = [...map.values()];
  }
  if (all.some((r) => r.scaling)) {
    const series = new Map<string, Series>();
    for (const r of all) {
      for (const s of r.scaling ?? []) {
        const prev = series.get(s.variable);
        if (prev === undefined) series.set(s.variable, structuredClone(s));
        else {
          for (const p of s.points) {
            const q = prev.points.find((x) => x.x === p.x);
            if (q === undefined) prev.points.push(p);
            else q.ms = Math.min(q.ms, p.ms);
          }
        }
      }
    }
    out.scaling = [...series.values()];
  }
  return out;
}

/** The Markdown report of a (merged) result. */
export function renderMarkdown(r: Results, svgName: string | undefined): string {
  const md: string[] = [];
  md.push(
    `Machine: ${r.machine['cpu']}, ${r.machine['cores']} cores, ${r.machine['memory']}, ${r.machine['platform']}, Node ${r.machine['node']}. Load average when each run started: ${r.machine['loadavg']}.`,
    '',
    `Command: \`${r.command}\`. Each cell is the best of its runs (after a warm-up), in milliseconds, from the input in JavaScript (or NumPy) memory to the pick indices.`,
    '',
    ...(r.peers !== undefined && (r.rounds ?? 1) > 1
      ? [`The peers table alternates ResPrune and the Python references in ${r.rounds} rounds (ours, then theirs, then ours again…), so a change in machine speed during the run reaches both sides; its cells are the best of all rounds' runs.`, '']
      : []),
    ...r.notes.map((n) => `Note: ${n}`),
    '',
  );
  if (r.peers !== undefined) {
    const kind = r.peers[0]?.peerKind === 'numpy' ? ' (NumPy port)' : ' (torch)';
    md.push('### ResPrune against CDPruner and DivPrune', '');
    md.push(`| N, d, K | ResPrune, ${r.threads} threads | ResPrune, 1 thread | CDPruner${kind} | DivPrune${kind} | ratio to CDPruner | ratio, 1 thread | target | wasm memory (MiB) | same picks as CDPruner (α = 2, l2) |`);
    md.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const p of r.peers) {
      const ratio = p.cdpruner === undefined ? undefined : p.fast.ms / p.cdpruner.ms;
      const ratio1 = p.cdpruner === undefined ? undefined : p.single.ms / p.cdpruner.ms;
      md.push(
        `| ${p.n}, ${p.d}, ${p.k} | ${ms(p.fast.ms)} | ${ms(p.single.ms)} | ${ms(p.cdpruner?.ms)} | ${ms(p.divprune?.ms)} | ${ratio === undefined ? '–' : ratio.toFixed(2) + '×'} | ${ratio1 === undefined ? '–' : ratio1.toFixed(2) + '×'} | ≤ ${p.target}× | ${mib(p.fast.memoryBytes)} | ${p.sameAsCdpruner === undefined ? '–' : p.sameAsCdpruner ? 'yes' : 'no'} |`,
      );
    }
    md.push('');
    const withBrowser = r.peers.filter((p) => p.browser !== undefined);
    if (withBrowser.length > 0) {
      md.push(`### In the browser (${withBrowser[0]!.browser!.chromium}, headless, cross-origin isolated)`, '');
      md.push('| N, d, K | Node, 2 threads | browser, 2 threads | browser, 1 thread | browser ÷ Node | browser ratio to CDPruner | target | same picks as Node |');
      md.push('|---|---|---|---|---|---|---|---|');
      for (const p of withBrowser) {
        const b = p.browser!;
        const toCdp = p.cdpruner === undefined ? '–' : `${(b.threads.ms / p.cdpruner.ms).toFixed(2)}×`;
        md.push(`| ${p.n}, ${p.d}, ${p.k} | ${ms(p.fast.ms)} | ${ms(b.threads.ms)} | ${ms(b.single.ms)} | ${(b.threads.ms / p.fast.ms).toFixed(2)}× | ${toCdp} | ≤ ${p.target}× | ${b.samePicks ? 'yes' : 'no'} |`);
      }
      md.push('');
    }
  }
  if (r.grid !== undefined && r.grid.length > 0) {
    const names = Object.keys(r.grid[0]!.cells);
    md.push('### Every backend next to the NumPy greedy (same inputs)', '');
    md.push(`| N | d | K | ${names.join(' | ')} | NumPy | same picks as NumPy |`);
    md.push(`|---|---|---|${names.map(() => '---|').join('')}---|---|`);
    for (const g of r.grid) {
      const vals = Object.values(g.agreement);
      const entries = Object.entries(g.agreement);
      const differ = entries.filter(([, v]) => v !== 'yes');
      const same = entries.filter(([, v]) => v === 'yes').map(([k]) => k);
      const agree =
        vals.length === 0
          ? '–'
          : differ.length === 0
            ? 'yes (all)'
            : [...new Set(differ.map(([, v]) => v))].map((v) => `${differ.filter(([, x]) => x === v).map(([k]) => k).join(', ')}: ${v}`).join('; ') +
              (same.length > 0 ? `; ${same.join(', ')}: same throughout` : '');
      md.push(`| ${g.n} | ${g.d} | ${g.k} | ${names.map((b) => ms(g.cells[b]?.ms)).join(' | ')} | ${ms(g.numpy?.ms)} | ${agree} |`);
    }
    md.push('');
  }
  if (r.scaling !== undefined) {
    md.push('### Scaling of the fast path', '');
    if (svgName !== undefined) md.push(`![time against N, K and d, log-log, with fitted lines](${svgName})`, '');
    md.push('| varied | fixed | value: ms | fitted slope of log ms on log value |', '|---|---|---|---|');
    for (const s of r.scaling) {
      const pts = [...s.points].sort((a, b) => a.x - b.x);
      md.push(`| ${s.variable} | ${s.fixed} | ${pts.map((p) => `${p.x}: ${ms(p.ms)}`).join(', ')} | ${fitSlope(pts).slope.toFixed(2)} |`);
    }
    md.push('');
  }
  return md.join('\n');
}
