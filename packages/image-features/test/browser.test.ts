import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, startStaticServer, type StaticServer } from '@resprune/local-browser';
import { sharedPath } from '@resprune/test-backends';
import { decodeImage, overlayPixels, toRgba } from '../src/index.js';

/**
 * The browser build in a real browser (Debian's chromium driven by playwright-core): the page loads
 * `@resprune/image-features` bundled by esbuild for browsers (no stubs) and the results are compared
 * with the Node build's. Skips, saying why, when chromium is not installed.
 */
const CHROMIUM = chromiumPath();
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`image-features browser test skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const GRID = { rows: 6, cols: 8 };
const KEPT = [0, 9, 18, 27, 47];

// Callbacks passed to page.evaluate run in the page; this file is type-checked without the DOM
// library, so it names the little it uses there.
interface PageApi {
  decodeImage(source: unknown, options?: { maxSide?: number }): Promise<{ width: number; height: number; data: Uint8Array }>;
  renderOverlay(image: unknown, kept: number[], grid: { rows: number; cols: number }, options?: object): Promise<Uint8Array>;
  drawOverlay(ctx: unknown, image: unknown, kept: number[], grid: { rows: number; cols: number }): void;
}
declare const OffscreenCanvas: new (w: number, h: number) => {
  getContext(id: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};

let dir: string;
let server: StaticServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  dir = mkdtempSync(join(tmpdir(), 'resprune-image-browser-'));
  await build({
    stdin: { contents: `import * as api from '@resprune/image-features'; globalThis.api = api;`, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outfile: join(dir, 'bundle.js'),
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="bundle.js"></script>');
  copyFileSync(sharedPath('images', 'chelsea.png'), join(dir, 'chelsea.png'));
  server = await startStaticServer(dir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => (globalThis as { api?: unknown }).api !== undefined);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(hasChromium)('@resprune/image-features in Chromium (the browser build)', () => {
  it('decodeImage gives the same RGB pixels as sharp in Node, from a URL and from a Blob, and maxSide scales down', async () => {
    const node = await decodeImage(sharedPath('images', 'chelsea.png'));
    const got = await page.evaluate(async () => {
      const api = (globalThis as unknown as { api: PageApi }).api;
      const fromUrl = await api.decodeImage('chelsea.png');
      const blob = await (await fetch('chelsea.png')).blob();
      const fromBlob = await api.decodeImage(blob);
      const small = await api.decodeImage(blob, { maxSide: 150 });
      let same = fromUrl.data.length === fromBlob.data.length;
      for (let i = 0; same && i < fromUrl.data.length; i++) same = fromUrl.data[i] === fromBlob.data[i];
      return { width: fromUrl.width, height: fromUrl.height, data: Array.from(fromUrl.data), same, small: [small.width, small.height] };
    });
    expect([got.width, got.height]).toEqual([451, 300]);
    expect(got.same).toBe(true);
    expect(got.small).toEqual([150, 100]);
    let maxDiff = 0;
    for (let i = 0; i < node.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(node.data[i]! - got.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1); // a PNG: lossless on both sides
  });

  it('a missing URL is E_FILE_NOT_FOUND and bytes that are not an image are E_IMAGE_DECODE', async () => {
    const codes = await page.evaluate(async () => {
      const api = (globalThis as unknown as { api: PageApi }).api;
      const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: { code?: string }) => e.code ?? 'untyped');
      return [await code(api.decodeImage('missing.png')), await code(api.decodeImage(new Uint8Array([1, 2, 3, 4]))), await code(api.decodeImage(new Uint8Array(0)))];
    });
    expect(codes).toEqual(['E_FILE_NOT_FOUND', 'E_IMAGE_DECODE', 'E_IMAGE_DECODE']);
  });

  it('renderOverlay encodes the same overlay as PNG that overlayPixels draws in Node', async () => {
    const node = await decodeImage(sharedPath('images', 'chelsea.png'));
    const png = await page.evaluate(
      async ({ kept, grid }) => {
        const api = (globalThis as unknown as { api: PageApi }).api;
        return Array.from(await api.renderOverlay(await api.decodeImage('chelsea.png'), kept, grid));
      },
      { kept: KEPT, grid: GRID },
    );
    const decoded = await decodeImage(new Uint8Array(png));
    const expected = overlayPixels(node, KEPT, GRID);
    expect([decoded.width, decoded.height]).toEqual([451, 300]);
    let maxDiff = 0;
    for (let i = 0; i < expected.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected.data[i]! - decoded.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('drawOverlay puts the overlay on a canvas as ImageData', async () => {
    const node = await decodeImage(sharedPath('images', 'chelsea.png'));
    const pixels = await page.evaluate(
      async ({ kept, grid }) => {
        const api = (globalThis as unknown as { api: PageApi }).api;
        const image = await api.decodeImage('chelsea.png');
        const canvas = new OffscreenCanvas(image.width, image.height);
        const ctx = canvas.getContext('2d');
        api.drawOverlay(ctx, image, kept, grid);
        return Array.from(ctx.getImageData(0, 0, image.width, image.height).data);
      },
      { kept: KEPT, grid: GRID },
    );
    const expected = toRgba(overlayPixels(node, KEPT, GRID)).data;
    expect(pixels.length).toBe(expected.length);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - pixels[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });
});
