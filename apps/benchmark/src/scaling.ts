/** One series of a scaling study: time against one of N, K, d with the others fixed. */
export interface Series {
  /** `'N'`, `'K'` or `'d'`. */
  readonly variable: string;
  /** What stayed fixed, for the caption. */
  readonly fixed: string;
  readonly points: Array<{ x: number; ms: number }>;
}

/** Least-squares fit of log(ms) = slope · log(x) + c. */
export function fitSlope(points: ReadonlyArray<{ x: number; ms: number }>): { slope: number; intercept: number } {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.ms));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** Log-log panels (one per series) with the measured points and the fitted line, as SVG. */
export function scalingSvg(series: readonly Series[], title: string): string {
  const W = 300;
  const H = 240;
  const pad = { l: 52, r: 12, t: 30, b: 40 };
  const parts: string[] = [];
  series.forEach((s, idx) => {
    const ox = idx * W;
    const xs = s.points.map((p) => Math.log10(p.x));
    const ys = s.points.map((p) => Math.log10(p.ms));
    const x0 = Math.min(...xs) - 0.05;
    const x1 = Math.max(...xs) + 0.05;
    const y0 = Math.floor(Math.min(...ys) * 2) / 2 - 0.1;
    const y1 = Math.ceil(Math.max(...ys) * 2) / 2 + 0.1;
    const px = (v: number): number => ox + pad.l + ((v - x0) / (x1 - x0)) * (W - pad.l - pad.r);
    const py = (v: number): number => pad.t + (1 - (v - y0) / (y1 - y0)) * (H - pad.t - pad.b);
    const fit = fitSlope(s.points);
    parts.push(`<rect x="${ox + pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#888"/>`);
    for (let e = Math.ceil(y0); e <= Math.floor(y1); e++) {
      for (const m of [1, 2, 5]) {
        const v = e + Math.log10(m);
        if (v < y0 || v > y1) continue;
        parts.push(`<line x1="${ox + pad.l}" x2="${ox + W - pad.r}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#eee"/>`);
        parts.push(`<text x="${ox + pad.l - 4}" y="${(py(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${m * 10 ** e}</text>`);
      }
    }
    for (const p of s.points) {
      const v = Math.log10(p.x);
      parts.push(`<text x="${px(v).toFixed(1)}" y="${H - pad.b + 14}" font-size="10" text-anchor="middle">${p.x}</text>`);
    }
    const a = fit.intercept / Math.LN10;
    const lx0 = Math.min(...xs);
    const lx1 = Math.max(...xs);
    parts.push(`<line x1="${px(lx0).toFixed(1)}" y1="${py(a + fit.slope * lx0).toFixed(1)}" x2="${px(lx1).toFixed(1)}" y2="${py(a + fit.slope * lx1).toFixed(1)}" stroke="#c33" stroke-dasharray="4 3"/>`);
    for (let i = 0; i < xs.length; i++) parts.push(`<circle cx="${px(xs[i]!).toFixed(1)}" cy="${py(ys[i]!).toFixed(1)}" r="3.5" fill="#246"/>`);
    parts.push(`<text x="${ox + W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(s.variable)} (${esc(s.fixed)})</text>`);
    parts.push(`<text x="${ox + W / 2}" y="20" font-size="12" text-anchor="middle">ms vs ${esc(s.variable)}: slope ${fit.slope.toFixed(2)}</text>`);
  });
  const width = W * series.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 18}" viewBox="0 0 ${width} ${H + 18}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="${H + 14}" font-size="10" fill="#555">${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}
