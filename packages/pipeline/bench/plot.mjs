// Plots prefill time (ms) against visual tokens kept, one line per backend, as a small SVG.
// Usage: node bench/plot.mjs out.svg results-cpu.json results-wasm.json ...
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
const series = inputs.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const W = 560, H = 320, L = 60, R = 20, T = 30, B = 45;
const pts = series.flatMap((s) => s.rows);
const xMax = Math.max(...pts.map((p) => p.kept)) * 1.05;
const yMax = Math.max(...pts.map((p) => p.prefillMs)) * 1.1;
const x = (v) => L + (v / xMax) * (W - L - R);
const y = (v) => H - B - (v / yMax) * (H - T - B);
const colors = ['#d62728', '#1f77b4', '#2ca02c'];
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">\n`;
svg += `<rect width="${W}" height="${H}" fill="white"/>\n<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">Prefill time vs visual tokens kept (random LLaVA-1.5-shaped model, d=1024, 8 layers)</text>\n`;
svg += `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>\n`;
for (let i = 0; i <= 5; i++) {
  const vx = (xMax / 5) * i, vy = (yMax / 5) * i;
  svg += `<text x="${x(vx)}" y="${H - B + 15}" text-anchor="middle">${vx.toFixed(0)}</text><text x="${L - 5}" y="${y(vy) + 4}" text-anchor="end">${vy.toFixed(0)}</text>\n`;
}
svg += `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">visual tokens kept</text><text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">prefill ms</text>\n`;
series.forEach((s, i) => {
  const rows = [...s.rows].sort((a, b) => a.kept - b.kept);
  const c = colors[i % colors.length];
  svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${rows.map((r) => `${x(r.kept).toFixed(1)},${y(r.prefillMs).toFixed(1)}`).join(' ')}"/>\n`;
  for (const r of rows) svg += `<circle cx="${x(r.kept).toFixed(1)}" cy="${y(r.prefillMs).toFixed(1)}" r="3" fill="${c}"/>\n`;
  svg += `<text x="${W - R - 80}" y="${T + 15 + 15 * i}" fill="${c}">${s.backend}</text>\n`;
});
writeFileSync(out, svg + '</svg>\n');
