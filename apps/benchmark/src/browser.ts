/**
 * Selection timings in a real browser: serves the built web demo (`apps/web-demo/dist`) on
 * 127.0.0.1, with or without the cross-origin isolation headers (COOP/COEP), opens its `bench.html`
 * in headless Chromium (driven by playwright-core; no browser is downloaded) and asks the page's
 * `resprunebench.run` for each timing. The page builds the inputs with `@resprune/synthetic-tokens`
 * exactly as `problem()` in main.ts does and times `engine.select` alone, so its numbers sit beside
 * the Node runners' and its pick order can be checked against theirs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath, CROSS_ORIGIN_ISOLATION_HEADERS, startStaticServer } from '@resprune/local-browser';

/** The driver, loaded only when a browser timing runs. */
const PLAYWRIGHT = 'playwright-core';

export { chromiumPath, DEFAULT_CHROMIUM } from '@resprune/local-browser';

/** One timing asked of the browser page. */
export interface BrowserRequest {
  /** Visual tokens N. */
  readonly n: number;
  /** Features d. */
  readonly d: number;
  /** Tokens to keep K. */
  readonly k: number;
  /** Seed of `syntheticTokens` (the text vectors use `seed + 1000`). */
  readonly seed: number;
  /** Timed runs, after one untimed warm-up run. */
  readonly repeat: number;
  /** WebAssembly on worker threads (needs `isolated: true`) or on the page's thread alone. */
  readonly mode: 'threads' | 'single';
}

/** What the page measured for one {@link BrowserRequest}. */
export interface BrowserTiming {
  /** The request, as given. */
  readonly request: BrowserRequest;
  /** Best of the timed runs, milliseconds. */
  readonly ms: number;
  /** Every timed run in order, milliseconds. */
  readonly runs: number[];
  /** The engine variant that ran (`'wasm-threads'`, `'wasm'` or `'js'`). */
  readonly kind: string;
  /** Threads that shared a run. */
  readonly threads: number;
  /** Pick order of the last run. */
  readonly order: number[];
}

/** Options of {@link browserTimings}. */
export interface BrowserTimingsOptions {
  /** The built web demo (its `bench.html` and `assets/`), e.g. `apps/web-demo/dist`. */
  readonly distDir: string;
  /** The Chromium executable; default {@link chromiumPath}'s choice. */
  readonly chromium?: string;
  /** Serve with `Cross-Origin-Opener-Policy` / `Cross-Origin-Embedder-Policy`, so the page may use threads. */
  readonly isolated: boolean;
  /** The timings to take, in this order, in one page. */
  readonly requests: readonly BrowserRequest[];
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** Whether {@link browserTimings} can run, and if not, why. */
export type BrowserAvailability = { readonly ok: true; readonly chromium: string } | { readonly ok: false; readonly reason: string };


/**
 * Tells whether a browser timing can run here: playwright-core (the driver) is installed, the
 * Chromium executable exists and, when `distDir` is given, the built demo has its `bench.html`.
 * Use it to skip the browser rows with a note.
 *
 * @param o - the Chromium path (see {@link chromiumPath}) and the built demo's folder
 * @returns `{ ok: true, chromium }`, or `{ ok: false, reason }` with what is missing and how to get it
 * @example
 * ```ts
 * const b = browserAvailable({ distDir: 'apps/web-demo/dist' });
 * if (!b.ok) console.log(`browser timings skipped: ${b.reason}`);
 * ```
 */
export function browserAvailable(o: { readonly chromium?: string; readonly distDir?: string } = {}): BrowserAvailability {
  try {
    createRequire(import.meta.url).resolve(PLAYWRIGHT);
  } catch {
    return { ok: false, reason: `${PLAYWRIGHT} is not installed for @resprune/example-benchmark (pnpm install)` };
  }
  const chromium = chromiumPath(o.chromium);
  if (!existsSync(chromium)) {
    return { ok: false, reason: `no browser at ${chromium} (apt-get install -y chromium, or set $CHROMIUM)` };
  }
  if (o.distDir !== undefined && !existsSync(join(o.distDir, 'bench.html'))) {
    return { ok: false, reason: `${join(o.distDir, 'bench.html')} is missing (pnpm turbo run build --filter=@resprune/example-web)` };
  }
  return { ok: true, chromium };
}

// The callbacks given to page.evaluate run in the page; this file has no DOM lib, so it declares
// the little they touch.
declare const window: { readonly resprunebench: { run(request: BrowserRequest): Promise<Omit<BrowserTiming, 'request'> & { crossOriginIsolated: boolean }> } };
declare const document: { readonly body: { readonly dataset: Record<string, string | undefined> } };

/**
 * Takes selection timings in headless Chromium on the built web demo's `bench.html`: serves
 * `distDir` on 127.0.0.1 (with COOP/COEP when `isolated`), runs each request in order in one page
 * (engines are created once per mode and inputs once per shape, both outside the timed region), and
 * closes the page, the browser and the server, also on failure.
 *
 * @param o - the built demo, the browser, isolation, the requests and a progress logger
 * @returns one timing per request, in order
 * @throws Error when the browser or the page is missing, when `isolated` is set but the page did not
 *   become cross-origin isolated, or when a request fails in the page (e.g. `mode: 'threads'`
 *   without `isolated`: `E_WASM_UNAVAILABLE`), naming the request
 * @example
 * ```ts
 * import { browserAvailable, browserTimings } from './browser.js';
 * if (browserAvailable({ distDir: 'apps/web-demo/dist' }).ok) {
 *   const [t] = await browserTimings({
 *     distDir: 'apps/web-demo/dist',
 *     isolated: true,
 *     requests: [{ n: 576, d: 4096, k: 128, seed: 1, repeat: 5, mode: 'threads' }],
 *   });
 *   console.log(`${t!.ms.toFixed(1)} ms on ${t!.threads} threads (${t!.kind})`);
 * }
 * ```
 */
export async function browserTimings(o: BrowserTimingsOptions): Promise<BrowserTiming[]> {
  const log = o.log ?? (() => undefined);
  const available = browserAvailable({ distDir: o.distDir, ...(o.chromium === undefined ? {} : { chromium: o.chromium }) });
  if (!available.ok) throw new Error(`browser timings: ${available.reason}`);
  const { chromium } = await import('playwright-core');
  const server = await startStaticServer(o.distDir, o.isolated ? { headers: CROSS_ORIGIN_ISOLATION_HEADERS } : {});
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: available.chromium, args: [...CHROMIUM_ARGS] });
    log(`browser: ${available.chromium} (Chromium ${browser.version()}), ${o.isolated ? 'cross-origin isolated' : 'not isolated'}, ${server.url}bench.html`);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}bench.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 60_000 });
    const out: BrowserTiming[] = [];
    for (const request of o.requests) {
      const label = `${request.n}×${request.d} K=${request.k} seed ${request.seed}, ${request.mode}`;
      // a failure comes back as text with its ResPruneError code (an Error's own fields do not cross)
      const answer = await page.evaluate(
        (req) =>
          window.resprunebench.run(req).then(
            (result) => ({ result }),
            (e: { code?: string; message?: string }) => ({ error: `${e.code === undefined ? '' : `${e.code}: `}${e.message ?? String(e)}` }),
          ),
        request,
      );
      if (!('result' in answer)) {
        throw new Error(`browser timing ${label} failed: ${answer.error}${pageErrors.length > 0 ? `; page errors: ${pageErrors.join('; ')}` : ''}`);
      }
      const r = answer.result;
      if (o.isolated && !r.crossOriginIsolated) {
        throw new Error(`browser timings: the page at ${server.url} was served with COOP/COEP but is not cross-origin isolated`);
      }
      log(`browser ${label}: ${r.ms.toFixed(2)} ms best of ${r.runs.length} (${r.kind}, ${r.threads} thread${r.threads === 1 ? '' : 's'})`);
      out.push({ request, ms: r.ms, runs: r.runs, kind: r.kind, threads: r.threads, order: r.order });
    }
    return out;
  } finally {
    await browser?.close();
    await server.close();
  }
}
