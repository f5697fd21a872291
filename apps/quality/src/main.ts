#!/usr/bin/env node
/**
 * Quality harness: ResPrune and its peers on the real MobileNetV2 token grids of photos.
 * Writes docs/benchmarks-quality.md, docs/images/quality-*.png and apps/quality/results/quality.json.
 * Run `node apps/quality/dist/main.js --help`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage, renderOverlay } from '@resprune/image-features';
import { loadMobileNetV2, NSFW_CLASSES, type FeatureExtractor } from '@resprune/mobilenet-features';
import { selectWith } from '@resprune/selector';
import { headText, MAIN_METHODS, runPhoto, type CurveTiming, type Row } from './experiment.js';
import { photoTokens, type PhotoTokens } from './features.js';
import { figures, markdown, summarise } from './report.js';
import { svgToPng } from './svg.js';

const HELP = `Usage: node apps/quality/dist/main.js [options]

Measures every selection method on the real 576-token MobileNetV2 grids of the photos and writes
docs/benchmarks-quality.md, docs/images/quality-*.png and apps/quality/results/quality.json.
  --images DIR     photos to use (default $RESPRUNE_SHARED/images, else ../shared/images beside the
                   checkout when present, else the repository's assets/photos)
  --photos A,B     only these file names
  --out DIR        docs folder to write (default <repo>/docs); with --quick nothing is written unless given
  --cache DIR      token cache (default apps/quality/.cache)
  --backend B      wasm (default) or cpu
  --repeats R      timing repeats at K = 64/128/192 and for energy budgets (default 3)
  --quick          one photo (or --photos), K = 128 and τ = 0.95 only: a smoke run
  --report-only    no measuring: rewrite the docs and plots from apps/quality/results/quality.json
  -h, --help       this text
`;

/** What a run measured, as saved in apps/quality/results/quality.json. */
interface Results {
  readonly generated: string;
  readonly backend: string;
  readonly node: string;
  readonly cpus: string;
  readonly repeats: number;
  readonly totalSeconds: number;
  readonly photos: { name: string; top1: string }[];
  readonly curves: CurveTiming[];
  readonly rows: Row[];
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('pnpm-workspace.yaml not found above this script');
    dir = up;
  }
}

/** A grid of overlays: one photo, each method's kept tokens at K. */
async function overlayFigure(net: FeatureExtractor, p: PhotoTokens, k: number): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const image = await decodeImage(p.path);
  const text = headText(net, p);
  const tiles: { label: string; kept: ArrayLike<number> }[] = [];
  for (const m of MAIN_METHODS) {
    const opts = m === 'uniform' ? { grid: { rows: p.rows, cols: p.cols } } : {};
    tiles.push({ label: `${m}`, kept: selectWith(m, { data: p.tokens, shape: [p.n, p.d] }, { keep: k, ...opts }).kept });
  }
  tiles.push({ label: 'resprune, class-direction text', kept: selectWith('resprune', { data: p.tokens, shape: [p.n, p.d] }, { keep: k, text }).kept });
  const side = 300;
  const pngs = await Promise.all(tiles.map((t) => renderOverlay(image, t.kept, { rows: p.rows, cols: p.cols }, { maxSide: side })));
  const meta = await sharp(Buffer.from(pngs[0]!)).metadata();
  const w = meta.width ?? side;
  const h = meta.height ?? side;
  const cols = 4;
  const labelH = 24;
  const W = cols * w + (cols + 1) * 8;
  const H = Math.ceil(tiles.length / cols) * (h + labelH + 8) + 8;
  const labels = tiles
    .map((t, i) => `<text x="${8 + (i % cols) * (w + 8) + w / 2}" y="${8 + Math.floor(i / cols) * (h + labelH + 8) + 17}" text-anchor="middle" font-size="14">${t.label}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif"><rect width="${W}" height="${H}" fill="white"/>${labels}</svg>`;
  const out = await sharp(Buffer.from(svg))
    .composite(pngs.map((png, i) => ({ input: Buffer.from(png), left: 8 + (i % cols) * (w + 8), top: 8 + Math.floor(i / cols) * (h + labelH + 8) + labelH })))
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(out);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      images: { type: 'string' },
      photos: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      repeats: { type: 'string', default: '3' },
      quick: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const root = repoRoot();
  const sharedImages = join(process.env['RESPRUNE_SHARED'] ?? resolve(root, '..', 'shared'), 'images');
  const imagesDir = resolve(values.images ?? (existsSync(sharedImages) ? sharedImages : join(root, 'assets', 'photos')));
  const cacheDir = resolve(values.cache ?? join(root, 'apps', 'quality', '.cache'));
  const backend = values.backend;
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}`);
  const quick = values.quick;
  const outDir = values.out === undefined ? (quick ? undefined : join(root, 'docs')) : resolve(values.out);

  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to initialise`);
  await tf.ready();

  let names = (await readdir(imagesDir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  if (values.photos !== undefined) {
    const want = values.photos.split(',').map((s) => s.trim());
    for (const w of want) if (!names.includes(w)) throw new Error(`--photos: ${w} is not in ${imagesDir}`);
    names = want;
  }
  if (quick) names = names.slice(0, 1);
  if (names.length === 0) throw new Error(`no .jpg or .png photos in ${imagesDir}`);

  const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
  const resultsFile = join(root, 'apps', 'quality', 'results', 'quality.json');
  const t0 = performance.now();
  const net = await loadMobileNetV2();
  try {
    let results: Results;
    const photos: PhotoTokens[] = [];
    if (values['report-only']) {
      results = JSON.parse(await readFile(resultsFile, 'utf8')) as Results;
      for (const { name } of results.photos) photos.push(await photoTokens(join(imagesDir, name), cacheDir, async () => net));
    } else {
      const rows: Row[] = [];
      const curves: CurveTiming[] = [];
      const top1: { name: string; top1: string }[] = [];
      for (const name of names) {
        const p = await photoTokens(join(imagesDir, name), cacheDir, async () => net);
        photos.push(p);
        top1.push({ name, top1: NSFW_CLASSES[headText(net, p).top1] ?? '?' });
        log(`${name}: ${p.n} tokens × ${p.d}${p.cached ? ' (cached)' : `, extracted in ${Math.round(p.extractMs)} ms`}`);
        const r = runPhoto(net, p, { repeats, quick, log });
        rows.push(...r.rows);
        curves.push(...r.curves);
      }
      results = {
        generated: new Date().toISOString(),
        backend,
        node: process.versions.node,
        cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
        repeats,
        totalSeconds: (performance.now() - t0) / 1000,
        photos: top1,
        curves,
        rows,
      };
    }
    const { rows, curves } = results;
    for (const m of MAIN_METHODS) {
      const s = summarise(rows, 'main', m, 'K=128');
      if (s !== undefined) log(`K=128 ${m.padEnd(9)} energy raw ${s.energyRaw.toFixed(4)} centred ${s.energyCentred.toFixed(4)} rel.err ${s.relErrorRaw.toFixed(3)} top1 ${s.top1.toFixed(2)} KL ${s.kl.toExponential(2)} ${s.ms.toFixed(1)} ms`);
    }
    if (outDir === undefined) return 0;

    const imagesOut = join(outDir, 'images');
    await mkdir(imagesOut, { recursive: true });
    const figs = quick ? [] : figures(rows, curves);
    for (const f of figs) await writeFile(join(imagesOut, `${f.name}.png`), await svgToPng(f.svg));
    const images = figs.map((f) => ({ name: f.name, alt: f.alt }));
    const dog = photos.find((p) => p.name === 'dog.jpg') ?? photos[0]!;
    if (!quick) {
      await writeFile(join(imagesOut, 'quality-overlays.png'), await overlayFigure(net, dog, 64));
      images.push({ name: 'quality-overlays', alt: `Kept tokens of each method at K = 64 on ${dog.name}` });
    }
    const page = markdown(rows, {
      command: 'pnpm --filter @resprune/example-quality quality',
      date: results.generated.slice(0, 10),
      backend: results.backend,
      node: results.node,
      cpus: results.cpus,
      photos: results.photos,
      repeats: results.repeats,
      totalSeconds: results.totalSeconds,
      curves,
      images,
    });
    await writeFile(join(outDir, 'benchmarks-quality.md'), page);
    if (!values['report-only']) {
      await mkdir(dirname(resultsFile), { recursive: true });
      await writeFile(resultsFile, `${JSON.stringify(results, null, 1)}\n`);
    }
    log(`wrote ${relative(process.cwd(), join(outDir, 'benchmarks-quality.md'))} and ${images.length} images${values['report-only'] ? '' : ` and ${relative(process.cwd(), resultsFile)}`}`);
    return 0;
  } finally {
    net.dispose();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`resprune-quality: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
