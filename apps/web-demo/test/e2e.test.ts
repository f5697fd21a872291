/**
 * End-to-end test of the built web demo in a real browser: Debian's chromium driven by
 * playwright-core, against `dist/` served on 127.0.0.1 by a plain static server (no cross-origin
 * isolation, so the single-threaded wasm fallbacks are what run), and once more with COOP/COEP
 * (ResPrune's greedy on WebAssembly threads). The benchmark page is held to the Node engine's pick
 * order. Screenshots go to `test-artifacts/`. Skips, saying why, when /usr/bin/chromium is not installed.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastEngine } from '@resprune/linalg';
import { writeNpy } from '@resprune/npy';
import { syntheticTokens, uniform } from '@resprune/synthetic-tokens';
import { CHROMIUM_ARGS, chromiumPath, CROSS_ORIGIN_ISOLATION_HEADERS, startStaticServer, type StaticServer } from '@resprune/local-browser';

/** Debian's chromium (apt-get install -y chromium); $CHROMIUM_PATH points elsewhere on other systems. */
const CHROMIUM = chromiumPath();
const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '..');
const dist = join(app, 'dist');
const artifacts = join(app, 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
const SKIP_REASON = `${CHROMIUM} is not installed (apt-get install -y chromium)`;
if (!hasChromium) console.warn(`web-demo e2e skipped: ${SKIP_REASON}`);

// The callbacks given to page.evaluate / waitForFunction run in the browser. This file is type-checked
// with Node settings (no DOM lib), so it declares the small DOM surface those callbacks use.
interface PageElement {
  readonly id: string;
  readonly type?: string;
  readonly outerHTML: string;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  readonly labels?: { readonly length: number } | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  readonly documentElement: { readonly scrollWidth: number };
  readonly body: PageElement;
};
/** The benchmark page's API (web/bench.ts), as the callbacks see it. */
interface BenchRequest {
  n: number;
  d: number;
  k: number;
  seed: number;
  repeat: number;
  mode: string;
}
interface BenchResult {
  ms: number;
  runs: number[];
  kind: string;
  threads: number;
  order: number[];
  crossOriginIsolated: boolean;
}
declare const window: { readonly innerWidth: number; readonly resprunebench: { run(request: BenchRequest): Promise<BenchResult> } };
declare const crossOriginIsolated: boolean;
declare const navigator: { readonly hardwareConcurrency: number };

function gaussian(n: number, seed: number): Float32Array {
  const next = uniform(seed); // mulberry32, shared with the benchmarks: the same fixtures every run
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

/** A file for `setInputFiles`. */
function file(name: string, bytes: Uint8Array, mimeType = 'application/octet-stream'): { name: string; mimeType: string; buffer: Buffer } {
  return { name, mimeType, buffer: Buffer.from(bytes) };
}

describe.skipIf(!hasChromium)(`web demo in chromium${hasChromium ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleLog: string[] = [];
  const foreignRequests: string[] = [];
  /** The first test's selection (dog.jpg, K = 128) and the backend that extracted its tokens. */
  let firstSelection: { kept: number[]; backend: string | undefined } | undefined;
  const keptIndices = (p: Page): Promise<number[]> =>
    p.locator('#grid .cell.kept').evaluateAll((cs) => cs.map((c) => Number((c as unknown as PageElement).dataset['index'])));

  const shot = async (name: string): Promise<Buffer> => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const stageShot = async (name: string): Promise<Buffer> => page.locator('#stage').screenshot({ path: join(artifacts, `${name}.png`) });
  const keptCells = (): Promise<number> => page.locator('#grid .cell.kept').count();
  const shownSeq = async (): Promise<number> => Number(await page.locator('#summary').getAttribute('data-seq'));
  const errorText = async (): Promise<string> => ((await page.locator('#error').isVisible()) ? ((await page.locator('#error-text').textContent()) ?? '') : '');

  /** Waits for a shown selection matching the expectations (any field left out is not checked). */
  async function waitForSelection(expected: { kept?: number; method?: string; photo?: string; source?: string; n?: number; after?: number }): Promise<void> {
    await page.waitForFunction(
      (e) => {
        const s = document.getElementById('summary')?.dataset;
        const grid = document.getElementById('grid')?.dataset;
        if (s === undefined || grid === undefined || s['kept'] === undefined) return false;
        return (
          (e.kept === undefined || (s['kept'] === String(e.kept) && grid['kept'] === String(e.kept))) &&
          (e.method === undefined || s['method'] === e.method) &&
          (e.photo === undefined || s['photo'] === e.photo) &&
          (e.source === undefined || s['source'] === e.source) &&
          (e.n === undefined || s['n'] === String(e.n)) &&
          (e.after === undefined || Number(s['seq']) > e.after)
        );
      },
      expected,
      { timeout: 60_000 },
    );
  }

  async function setBudget(kind: 'keep' | 'ratio' | 'energy', value: number): Promise<void> {
    await page.check(`input[name="budget-kind"][value="${kind}"]`);
    await page.fill('#budget-value', String(value));
  }

  async function expectError(code: string): Promise<string> {
    await page.waitForFunction((c) => document.getElementById('error-text')?.textContent?.startsWith(`${c}:`) === true, code, { timeout: 15_000 });
    return errorText();
  }

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      throw new Error(`${dist}/index.html is missing: build the demo first (pnpm --filter @resprune/example-web build, or pnpm turbo run build)`);
    }
    mkdirSync(artifacts, { recursive: true });
    server = await startStaticServer(dist);
    // launch() gives chromium a fresh temporary --user-data-dir of its own
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
  });

  afterAll(async () => {
    if (existsSync(artifacts)) writeFileSync(join(artifacts, 'console.log'), `${consoleLog.join('\n')}\n\npage errors:\n${pageErrors.join('\n')}\n`);
    await browser?.close();
    await server?.close();
  });

  it('loads, extracts the default photo with MobileNetV2 in a worker and shows a ResPrune selection', async () => {
    await page.goto(server.url);
    await waitForSelection({ kept: 128, method: 'resprune', photo: 'dog.jpg', source: 'mobilenet', n: 576 });
    expect(await keptCells()).toBe(128);
    expect(await page.locator('#grid .cell').count()).toBe(576);
    expect(await page.locator('#status').textContent()).toMatch(/MobileNetV2 ready on TensorFlow\.js (wasm|webgl|webgpu)/);
    // no cross-origin isolation on a plain static server: the single-threaded fallback runs
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const workers = page.workers().map((w) => w.url());
    expect(workers.some((u) => u.includes('select-worker'))).toBe(true);
    expect(workers.some((u) => u.includes('features-worker'))).toBe(true);
    expect(await page.locator('#time-select').textContent()).toMatch(/ms|s \(/);
    expect(await page.locator('#energy-plot polyline').count()).toBe(1);
    // ResPrune's greedy runs on the WebAssembly fast path, on one thread without isolation
    const engine = page.locator('#select-engine');
    expect(await engine.getAttribute('data-kind')).toBe('wasm');
    expect(await engine.getAttribute('data-threads')).toBe('1');
    expect(await engine.textContent()).toBe('WebAssembly SIMD, 1 thread (page not cross-origin isolated)');
    firstSelection = { kept: await keptIndices(page), backend: await page.evaluate(() => document.body.dataset['backend']) };
    await shot('01-loaded');
  });

  it('picks a shared photo and runs a selection at two budgets', async () => {
    await page.click('button.example[data-file="horses.jpg"]');
    await waitForSelection({ kept: 128, photo: 'horses.jpg', source: 'mobilenet' });
    expect(await page.locator('button.example[data-file="horses.jpg"]').getAttribute('aria-pressed')).toBe('true');

    await setBudget('keep', 48);
    await waitForSelection({ kept: 48, photo: 'horses.jpg' });
    expect(await keptCells()).toBe(48);
    const smallSet = await page.locator('#grid .cell.kept').evaluateAll((cells) => cells.map((c) => Number((c as unknown as PageElement).dataset['index'])));
    const small = await stageShot('02-horses-keep-48');

    await setBudget('keep', 200);
    await waitForSelection({ kept: 200, photo: 'horses.jpg' });
    expect(await keptCells()).toBe(200);
    const big = await stageShot('03-horses-keep-200');
    expect(Buffer.compare(small, big)).not.toBe(0);
    // the greedy is deterministic: the first 48 picks at K = 200 are exactly the K = 48 selection
    const firstPicks = await page
      .locator('#grid .cell.kept')
      .evaluateAll((cells) => cells.filter((c) => Number((c as unknown as PageElement).dataset['rank']) <= 48).map((c) => Number((c as unknown as PageElement).dataset['index'])));
    expect(firstPicks.sort((a, b) => a - b)).toEqual(smallSet.sort((a, b) => a - b));

    // ratio: round(0.1 × 576) = 58 tokens
    await setBudget('ratio', 0.1);
    await waitForSelection({ kept: 58 });
    // energy: the fewest picks whose captured energy reaches τ
    await setBudget('energy', 0.6);
    await page.waitForFunction(() => document.getElementById('summary')?.textContent?.includes('energy τ = 0.6') === true);
    const summary = (await page.locator('#summary').textContent()) ?? '';
    const captured = Number(/captured energy ([\d.]+) %/.exec(summary)?.[1]);
    expect(captured).toBeGreaterThanOrEqual(60);
    expect(await page.locator('#energy-plot line.target').count()).toBe(1);
    await setBudget('keep', 96);
    await waitForSelection({ kept: 96 });
  });

  it('runs every method the selector registry reports', async () => {
    const names = await page.locator('#method option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    expect(names).toContain('resprune');
    for (const name of names) {
      await page.selectOption('#method', name);
      await waitForSelection({ kept: 96, method: name });
      expect(await keptCells()).toBe(96);
      if (name === 'uniform') {
        // spread over the 24 × 24 grid (the page passes the grid): 96 cells on round(√96) = 10 rows,
        // where strides along the token sequence would have touched all 24 rows
        const rows = await page
          .locator('#grid .cell.kept')
          .evaluateAll((cs) => new Set(cs.map((c) => Math.floor(Number((c as unknown as PageElement).dataset['index']) / 24))).size);
        expect(rows).toBe(10);
      }
    }
    await page.selectOption('#method', 'resprune');
    await waitForSelection({ kept: 96, method: 'resprune' });
  });

  it('shows the pick order on hover and from the keyboard', async () => {
    const first = page.locator('#grid .cell.kept[data-rank="1"]');
    await first.hover();
    await expect.poll(() => page.locator('#token-info').textContent()).toMatch(/kept, picked 1st of 96/);
    expect(await page.locator('#tip').textContent()).toBe('#1');
    await page.screenshot({ path: join(artifacts, 'web-demo.jpg'), type: 'jpeg', quality: 82 }); // docs/guide/images/web-demo.jpg
    await page.locator('#grid').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('#token-info').textContent()).toMatch(/^Token \d+ \(row \d+, column \d+\): (kept|dropped)/);
    await page.check('#show-numbers');
    await expect.poll(() => first.textContent()).toBe('1');
    await stageShot('04-pick-order');
    await page.uncheck('#show-numbers');
  });

  it('uses tokens picked on the photo as query vectors, so α changes the selection', async () => {
    const keptSet = (): Promise<string> =>
      page.locator('#grid .cell.kept').evaluateAll((cs) => cs.map((c) => (c as unknown as PageElement).dataset['index']).join());
    await page.check('#query-mode');
    // a token that is not among the first picks, so the query really moves the selection
    await page.locator('#grid .cell:not(.kept)').nth(40).click();
    await expect.poll(() => page.locator('#text-source').getAttribute('data-m')).toBe('1');
    expect(await page.locator('#grid').getAttribute('data-queries')).toBe('1');
    await page.fill('#alpha-value', '0');
    await page.waitForFunction(() => document.getElementById('time-select')?.textContent !== 'selecting…');
    await waitForSelection({ kept: 96, source: 'mobilenet' });
    const flat = await keptSet();
    await page.fill('#alpha-value', '4');
    await page.waitForFunction(
      (before) => {
        const now = [...document.querySelectorAll('#grid .cell.kept')].map((c) => c.dataset['index']).join();
        return document.getElementById('grid')?.dataset['kept'] === '96' && now !== before;
      },
      flat,
      { timeout: 30_000 },
    );
    await stageShot('05-query-alpha-4');
    await page.click('#query-clear');
    await expect.poll(() => page.locator('#text-source').getAttribute('data-m')).toBe('0');
    expect(await page.locator('#grid .cell.query').count()).toBe(0);
    await page.uncheck('#query-mode');
    await page.fill('#alpha-value', '1');
    await waitForSelection({ kept: 96 });
  });

  it('loads LVLM tokens and text vectors from .npy files', async () => {
    const n = 144;
    const d = 32;
    const visual = gaussian(n * d, 7);
    const text = gaussian(2 * d, 11);
    await page.click('#npy-panel summary');
    await page.setInputFiles('#npy-visual', file('llava-visual.npy', writeNpy(visual, [n, d])));
    await setBudget('keep', 20);
    await waitForSelection({ kept: 20, source: 'npy', n });
    expect(await page.locator('#grid').getAttribute('data-rows')).toBe('12');
    expect(await page.locator('#grid').getAttribute('data-cols')).toBe('12');
    expect(await page.locator('#grid .cell').count()).toBe(n);
    expect(await keptCells()).toBe(20);

    await page.setInputFiles('#npy-text', file('llava-text.npy', writeNpy(text, [2, d])));
    await expect.poll(() => page.locator('#npy-info').textContent()).toMatch(/M = 2 text vectors/);
    await page.fill('#alpha-value', '0');
    await waitForSelection({ kept: 20, source: 'npy' });
    await page.waitForFunction(() => document.getElementById('time-select')?.textContent !== 'selecting…');
    const noText = await page.locator('#grid .cell.kept').evaluateAll((cs) => cs.map((c) => (c as unknown as PageElement).dataset['index']).join());
    await page.fill('#alpha-value', '4');
    await page.waitForFunction(
      (before) => {
        const now = [...document.querySelectorAll('#grid .cell.kept')].map((c) => c.dataset['index']).join();
        return document.getElementById('grid')?.dataset['kept'] === '20' && now !== before;
      },
      noText,
      { timeout: 30_000 },
    );
    expect(await keptCells()).toBe(20);
    await stageShot('06-npy-tokens');

    // a 16 × 9 grid for the same 144 tokens
    await page.fill('#grid-rows', '9'); // 9 × 12 does not fit 144 tokens yet: a message, nothing else changes
    await page.fill('#grid-cols', '16');
    await page.locator('#grid-cols').blur(); // the change event
    await page.waitForFunction(() => document.getElementById('grid')?.dataset['cols'] === '16');
    await waitForSelection({ kept: 20, source: 'npy' });
    await page.fill('#alpha-value', '1');
  });

  it('says clearly what is wrong with bad files, and keeps working', async () => {
    await page.waitForFunction(() => document.getElementById('time-select')?.textContent !== 'selecting…');
    await waitForSelection({ kept: 20, source: 'npy', n: 144 });
    const keptBefore = await keptCells();
    const cases: { input: string; file: ReturnType<typeof file>; code: string; says: RegExp }[] = [
      { input: '#file-input', file: file('notes.png', new TextEncoder().encode('this is not a picture'), 'image/png'), code: 'E_IMAGE_DECODE', says: /notes\.png is not an image/ },
      { input: '#file-input', file: file('empty.jpg', new Uint8Array(0), 'image/jpeg'), code: 'E_IMAGE_DECODE', says: /empty/ },
      { input: '#npy-visual', file: file('garbage.npy', new TextEncoder().encode('PK\u0003\u0004 a zip file, not npy')), code: 'E_NPY_FORMAT', says: /not a NumPy \.npy file/ },
      { input: '#npy-visual', file: file('cube.npy', writeNpy(new Float32Array(24), [2, 3, 4])), code: 'E_SHAPE_MISMATCH', says: /shape \[2, 3, 4\]/ },
      { input: '#npy-visual', file: file('ints.npy', writeNpy(new Int32Array(12), [4, 3])), code: 'E_DTYPE', says: /float16, float32 or float64/ },
      { input: '#npy-visual', file: file('nan.npy', writeNpy(Float32Array.from({ length: 64 }, (_, i) => (i === 37 ? Number.NaN : i)), [16, 4])), code: 'E_NON_FINITE', says: /row 9, column 1 is NaN/ },
      { input: '#npy-text', file: file('text-d8.npy', writeNpy(new Float32Array(16).fill(1), [2, 8])), code: 'E_SHAPE_MISMATCH', says: /d = 8 .* d = 32/ },
      { input: '#file-input', file: file('truncated.npy', writeNpy(new Float32Array(64), [16, 4]).subarray(0, 100)), code: 'E_NPY_FORMAT', says: /truncated\.npy/ },
    ];
    let i = 0;
    for (const c of cases) {
      if (await page.locator('#error').isVisible()) await page.click('#error-dismiss');
      await expect.poll(() => page.locator('#error').isVisible(), { message: `an error shows before ${c.file.name}: ${await errorText()}` }).toBe(false);
      await page.setInputFiles(c.input, c.file);
      const message = await expectError(c.code);
      expect(message).toMatch(c.says);
      // the page still shows the last good selection
      expect(await keptCells(), `kept cells after ${c.file.name}`).toBe(keptBefore);
      if (i++ === 0) await shot('07-bad-image');
    }
    // a grid that does not match the token count
    await page.fill('#grid-rows', '5');
    await page.locator('#grid-rows').blur();
    expect(await expectError('E_SHAPE_MISMATCH')).toMatch(/does not match the 144 visual tokens/);
    // a budget the selector rejects
    await page.fill('#budget-value', '0');
    expect(await expectError('E_BUDGET')).toMatch(/keep/);
    await shot('08-bad-budget');
    // and a good budget afterwards: the selection updates and the error goes away
    await page.fill('#budget-value', '30');
    await waitForSelection({ kept: 30, source: 'npy' });
    await expect.poll(() => page.locator('#error').isVisible()).toBe(false);
  });

  it('stays responsive during a slow selection and cancels it for newer settings', async () => {
    // 4096 tokens (64 × 64): DivPrune's O(N²·d) pass takes many seconds on the cpu backend
    const n = 4096;
    const d = 256;
    await page.setInputFiles('#npy-visual', file('big.npy', writeNpy(gaussian(n * d, 5), [n, d])));
    await waitForSelection({ kept: 30, source: 'npy', n });
    const restartsBefore = Number(await page.locator('#summary').getAttribute('data-restarts'));
    await page.selectOption('#method', 'divprune');
    await expect.poll(() => page.locator('#select-busy').isVisible(), { timeout: 10_000 }).toBe(true);
    // the page's own thread answers while the worker is busy: these round trips finish before
    // DivPrune does (no wall-clock bound: speed is measured in benchmarks, not asserted here)
    for (let k = 0; k < 5; k++) await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await page.locator('#select-busy').isVisible()).toBe(true);
    await page.locator('#grid .cell').nth(100).hover();
    await expect.poll(() => page.locator('#token-info').textContent()).toMatch(/^Token 100 \(row 2, column 37\)/);
    expect(await page.locator('#summary').getAttribute('data-method')).toBe('resprune'); // divprune still running
    await stageShot('09-slow-selection');
    // newer settings arrive while DivPrune has run for > 0.75 s: its worker is replaced at once
    await page.waitForTimeout(800);
    let seq = await shownSeq();
    await page.selectOption('#method', 'resprune');
    await waitForSelection({ kept: 30, method: 'resprune', n, after: seq });
    expect(Number(await page.locator('#summary').getAttribute('data-restarts'))).toBeGreaterThan(restartsBefore);
    // the Cancel button stops a slow run without a replacement
    await page.selectOption('#method', 'divprune');
    await expect.poll(() => page.locator('#select-busy').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.click('#select-cancel');
    await expect.poll(() => page.locator('#time-select').textContent()).toMatch(/^cancelled/);
    expect(await page.locator('#select-busy').isVisible()).toBe(false);
    seq = await shownSeq();
    await page.selectOption('#method', 'resprune');
    await waitForSelection({ kept: 30, method: 'resprune', n, after: seq });
    // no DivPrune result was ever shown: both slow runs were stopped, not waited for
    expect(await page.locator('#summary').getAttribute('data-seq')).toBe(String(seq + 1));
  });

  it('goes back to MobileNetV2 tokens and fits a narrow screen', async () => {
    await page.click('#use-mobilenet');
    await waitForSelection({ kept: 30, source: 'mobilenet', photo: 'horses.jpg', n: 576 });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(100);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // every form control has a label
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select')]
        .filter((el) => el.type !== 'hidden' && el.labels?.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.id || el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await shot('10-narrow');
  });

  it('selects on WebAssembly threads when the host makes the page cross-origin isolated (COOP/COEP)', async () => {
    const isolated = await startStaticServer(dist, { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
    const other = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors: string[] = [];
    other.on('pageerror', (e) => errors.push(e.message));
    try {
      await other.goto(`${isolated.url}?backend=wasm`);
      expect(await other.evaluate(() => crossOriginIsolated)).toBe(true);
      await other.waitForFunction(() => document.getElementById('summary')?.dataset['kept'] === '128', null, { timeout: 60_000 });
      expect(await other.locator('#status').textContent()).toMatch(/on TensorFlow\.js wasm/);
      // the select worker's engine runs its helper threads as nested workers (from a Blob URL)
      const cores = await other.evaluate(() => navigator.hardwareConcurrency);
      const threads = Math.min(cores, 4);
      const engine = other.locator('#select-engine');
      expect(await engine.getAttribute('data-kind')).toBe(threads > 1 ? 'wasm-threads' : 'wasm');
      expect(await engine.getAttribute('data-threads')).toBe(String(threads));
      if (threads > 1) expect(await engine.textContent()).toBe(`WebAssembly SIMD, ${threads} threads`);
      else expect(await engine.textContent()).toMatch(/^WebAssembly SIMD, 1 thread \(one core/);
      // the threaded greedy keeps the same tokens as the single-threaded one on the same features
      // (both pages extract them on tfjs wasm here; another backend may round them differently)
      expect(firstSelection).toBeDefined();
      if (firstSelection!.backend === 'wasm') expect(await keptIndices(other)).toEqual(firstSelection!.kept);
      // and a selection through the controls still works
      await other.check('input[name="budget-kind"][value="keep"]');
      await other.fill('#budget-value', '40');
      await other.waitForFunction(() => document.getElementById('summary')?.dataset['kept'] === '40' && document.getElementById('grid')?.dataset['kept'] === '40', null, { timeout: 30_000 });
      expect(await other.locator('#grid .cell.kept').count()).toBe(40);
      expect(errors).toEqual([]);
    } finally {
      await other.close();
      await isolated.close();
    }
  });

  it('times the fast engine on bench.html with the Node engine\'s picks, threaded and single', async () => {
    const shape = { n: 150, d: 96, k: 40, seed: 3 };
    const node = await createFastEngine({ mode: 'single', warmUp: false });
    const expected = Array.from(
      node.select(syntheticTokens(shape.n, shape.d, shape.seed), shape.n, shape.d, {
        keep: shape.k,
        text: syntheticTokens(8, shape.d, shape.seed + 1000, 24),
        alpha: 1,
        normalize: 'none',
      }).order,
    );
    await node.dispose();
    expect(new Set(expected).size).toBe(shape.k);

    const isolated = await startStaticServer(dist, { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
    const bench = await browser.newPage();
    const errors: string[] = [];
    bench.on('pageerror', (e) => errors.push(e.message));
    const run = (p: Page, mode: string): Promise<BenchResult> => p.evaluate((r) => window.resprunebench.run(r), { ...shape, repeat: 2, mode });
    /** The error a request fails with, as `code: message`. */
    const failure = (p: Page, request: BenchRequest): Promise<string> =>
      p.evaluate(
        (r) => window.resprunebench.run(r).then(
          () => 'no error',
          (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
        ),
        request,
      );
    try {
      await bench.goto(`${isolated.url}bench.html`);
      await bench.waitForFunction(() => document.body.dataset['ready'] === 'true');
      const threads = await run(bench, 'threads');
      expect(threads).toMatchObject({ kind: 'wasm-threads', crossOriginIsolated: true });
      expect(threads.threads).toBeGreaterThan(1); // threadsFrom 0: this small shape is split over the threads too
      expect(threads.runs).toHaveLength(2);
      expect(threads.ms).toBe(Math.min(...threads.runs));
      expect(threads.order).toEqual(expected);
      const single = await run(bench, 'single');
      expect(single).toMatchObject({ kind: 'wasm', threads: 1, crossOriginIsolated: true });
      expect(single.order).toEqual(expected);

      // without isolation: one thread works, threads are refused with a typed error; bad requests too
      await bench.goto(`${server.url}bench.html`);
      await bench.waitForFunction(() => document.body.dataset['ready'] === 'true');
      const plain = await run(bench, 'single');
      expect(plain).toMatchObject({ kind: 'wasm', threads: 1, crossOriginIsolated: false });
      expect(plain.order).toEqual(expected);
      expect(await failure(bench, { ...shape, repeat: 1, mode: 'threads' })).toMatch(/^E_WASM_UNAVAILABLE: .*cross-origin-isolated page/);
      expect(await failure(bench, { ...shape, n: 0, repeat: 1, mode: 'single' })).toMatch(/^E_INVALID_OPTION: .*n must be an integer ≥ 1/);
      expect(await failure(bench, { ...shape, repeat: 1, mode: 'gpu' })).toMatch(/^E_INVALID_OPTION: .*mode must be one of threads, single, auto/);
      // and the page still answers after the failures
      expect((await run(bench, 'auto')).order).toEqual(expected);
      expect(errors).toEqual([]);
    } finally {
      await bench.close();
      await isolated.close();
    }
  });

  it('downloaded nothing from outside the page and raised no page errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

