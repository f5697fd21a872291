/** Small SVG charts (line and bar), rendered to PNG with sharp. No plotting library needed. */

/** One line of a line chart. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

/** A chart panel. */
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Log-scale y axis (values must be > 0). */
  readonly logY?: boolean;
  /** Fixed y range. */
  readonly yRange?: readonly [number, number];
  /** Explicit x ticks. */
  readonly xTicks?: readonly number[];
}

/** Colours per method, stable across charts. */
export const COLORS: Readonly<Record<string, string>> = {
  resprune: '#d62728',
  cdpruner: '#1f77b4',
  divprune: '#2ca02c',
  mmtok: '#9467bd',
  dart: '#ff7f0e',
  random: '#7f7f7f',
  uniform: '#8c564b',
  'relevance-only': '#e377c2',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Log-axis ticks: decades, plus 2× and 5× when the range spans fewer than three decades. */
function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const steps = b - a < 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of steps) {
    const v = Number((m * 10 ** e).toPrecision(6));
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
  }
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

/** Draws one panel at (x0, y0) with size w × h; returns SVG elements. */
function panel(chart: LineChart, x0: number, y0: number, w: number, h: number): string {
  const left = 64;
  const right = 12;
  const top = 34;
  const bottom = 46;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v) && (!chart.logY || v > 0));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let [yMin, yMax] = chart.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!chart.yRange) {
    const pad = (yMax - yMin) * 0.05 || Math.abs(yMax) * 0.05 || 1;
    if (!chart.logY) {
      yMin -= pad;
      yMax += pad;
    }
  }
  const ty = (v: number): number => {
    if (chart.logY) {
      const a = Math.log10(yMin);
      const b = Math.log10(yMax);
      return y0 + top + ph - ((Math.log10(v) - a) / (b - a || 1)) * ph;
    }
    return y0 + top + ph - ((v - yMin) / (yMax - yMin || 1)) * ph;
  };
  const tx = (v: number): number => x0 + left + ((v - xMin) / (xMax - xMin || 1)) * pw;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + 20}" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  const yt = chart.logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax);
  for (const v of yt) {
    const y = ty(v);
    parts.push(`<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x0 + left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  for (const v of chart.xTicks ?? niceTicks(xMin, xMax, 6)) {
    const x = tx(v);
    parts.push(`<line x1="${x}" x2="${x}" y1="${y0 + top}" y2="${y0 + top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${y0 + top + ph + 16}" text-anchor="middle" font-size="11">${fmt(v)}</text>`);
  }
  parts.push(`<rect x="${x0 + left}" y="${y0 + top}" width="${pw}" height="${ph}" fill="none" stroke="#555"/>`);
  parts.push(`<text x="${x0 + left + pw / 2}" y="${y0 + h - 10}" text-anchor="middle" font-size="12">${esc(chart.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(${x0 + 16},${y0 + top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(chart.yLabel)}</text>`,
  );
  for (const s of chart.series) {
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && (!chart.logY || p[1] > 0));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${tx(p[0]).toFixed(1)},${ty(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of pts) parts.push(`<circle cx="${tx(p[0]).toFixed(1)}" cy="${ty(p[1]).toFixed(1)}" r="2.8" fill="${s.color}"/>`);
  }
  return parts.join('\n');
}

function legend(series: readonly Series[], x0: number, y0: number, width: number): { svg: string; height: number } {
  const per = Math.max(150, 50 + 7.5 * Math.max(...series.map((s) => s.label.length)));
  const cols = Math.max(1, Math.floor(width / per));
  const parts: string[] = [];
  series.forEach((s, i) => {
    const x = x0 + (i % cols) * per;
    const y = y0 + Math.floor(i / cols) * 20;
    parts.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${x + 30}" y="${y + 4}" font-size="12">${esc(s.label)}</text>`);
  });
  return { svg: parts.join('\n'), height: Math.ceil(series.length / cols) * 20 + 10 };
}

/**
 * Panels side by side with one shared legend (from the first panel's series) underneath.
 *
 * @returns the SVG document
 */
export function lineCharts(charts: readonly LineChart[], panelWidth = 440, panelHeight = 320): string {
  const width = charts.length * panelWidth;
  const lg = legend(charts[0]?.series ?? [], 70, panelHeight + 12, width - 80);
  const height = panelHeight + lg.height + 14;
  const body = charts.map((c, i) => panel(c, i * panelWidth, 0, panelWidth, panelHeight)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">
<rect width="${width}" height="${height}" fill="white"/>
${body}
${lg.svg}
</svg>`;
}

/** A horizontal bar chart: one bar per label. */
export function barChart(
  title: string,
  xLabel: string,
  bars: readonly { label: string; value: number; color: string; note?: string }[],
  width = 640,
  subtitle?: string,
): string {
  const rowH = 26;
  const left = 130;
  const top = subtitle === undefined ? 40 : 58;
  const height = top + bars.length * rowH + 50;
  const max = Math.max(...bars.map((b) => b.value)) * 1.15 || 1;
  const pw = width - left - 30;
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle !== undefined) parts.push(`<text x="${width / 2}" y="42" text-anchor="middle" font-size="12">${esc(subtitle)}</text>`);
  for (const v of niceTicks(0, max, 6)) {
    const x = left + (v / max) * pw;
    parts.push(`<line x1="${x}" x2="${x}" y1="${top - 4}" y2="${top + bars.length * rowH}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x}" y="${top + bars.length * rowH + 16}" text-anchor="middle" font-size="11">${fmt(v)}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end" font-size="12">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, (b.value / max) * pw)}" height="${rowH - 8}" fill="${b.color}"/>`);
    parts.push(`<text x="${left + (b.value / max) * pw + 6}" y="${y + rowH / 2 + 4}" font-size="11">${esc(b.note ?? fmt(b.value))}</text>`);
  });
  parts.push(`<text x="${left + pw / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">
<rect width="${width}" height="${height}" fill="white"/>
${parts.join('\n')}
</svg>`;
}

/**
 * Renders an SVG document to PNG bytes with sharp (fonts come from the system's fontconfig).
 *
 * @returns PNG bytes
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  return new Uint8Array(await sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer());
}
