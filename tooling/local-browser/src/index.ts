/**
 * @packageDocumentation
 * What the browser tests and the browser benchmark share: a static file server on 127.0.0.1 (with
 * or without the cross-origin isolation headers) and where to find Debian's headless Chromium and
 * how to start it. Private to this repository.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

/** A running static file server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** Extra headers on every response (e.g. COOP/COEP for cross-origin isolation). Default none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Serves a folder on 127.0.0.1 at a free port, like any plain static host: by default no
 * cross-origin isolation headers (so the page must fall back to single-threaded wasm), correct MIME
 * types (`application/wasm` matters), GET and HEAD only, nothing outside the folder.
 *
 * @param root - the folder to serve (e.g. `dist`)
 * @param options - extra response headers
 * @returns the server; close it when done
 * @example
 * ```ts
 * import { CROSS_ORIGIN_ISOLATION_HEADERS, startStaticServer } from '@resprune/local-browser';
 * const server = await startStaticServer('apps/web-demo/dist', { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function startStaticServer(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const base = normalize(root);
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      let file: string;
      try {
        file = normalize(join(base, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
        const size = (await stat(file)).size;
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'Content-Length': size,
          'Cache-Control': 'no-store',
          ...options.headers,
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, WebAssembly threads). */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Where Debian's `chromium` package installs the browser. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for headless Chromium in tests and benchmarks: no sandbox (containers), no GPU, and none of
 * the background traffic a fresh profile would start (nothing may reach the network).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium executable to use: `explicit`, else `$CHROMIUM_PATH`, else `$CHROMIUM`, else
 * {@link DEFAULT_CHROMIUM}. It may not exist; check before launching.
 *
 * @param explicit - a path given by the caller
 * @returns the path
 * @example
 * ```ts
 * import { chromiumPath } from '@resprune/local-browser';
 * console.log(chromiumPath()); // /usr/bin/chromium
 * ```
 */
export function chromiumPath(explicit?: string): string {
  const env = (name: string): string | undefined => {
    const v = process.env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  return explicit ?? env('CHROMIUM_PATH') ?? env('CHROMIUM') ?? DEFAULT_CHROMIUM;
}
