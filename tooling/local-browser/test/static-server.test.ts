import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CROSS_ORIGIN_ISOLATION_HEADERS, chromiumPath, DEFAULT_CHROMIUM, startStaticServer } from '../src/index.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'resprune-static-'));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'index.html'), '<p>home</p>');
  writeFileSync(join(root, 'sub', 'k.wasm'), new Uint8Array([0, 97, 115, 109]));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('startStaticServer', () => {
  it('serves files with their MIME types, index.html for folders, and nothing outside the root', async () => {
    const s = await startStaticServer(root);
    try {
      const home = await fetch(s.url);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toContain('text/html');
      expect(await home.text()).toBe('<p>home</p>');
      expect(home.headers.get('cross-origin-opener-policy')).toBeNull();
      const wasm = await fetch(`${s.url}sub/k.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
      expect((await fetch(`${s.url}missing.js`)).status).toBe(404);
      expect((await fetch(`${s.url}..%2f..%2fetc%2fpasswd`)).status).toBe(403);
      expect((await fetch(`${s.url}%E0%A4%A`)).status).toBe(400);
      expect((await fetch(s.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await s.close();
    }
  });

  it('adds the cross-origin isolation headers when asked', async () => {
    const s = await startStaticServer(root, { headers: CROSS_ORIGIN_ISOLATION_HEADERS });
    try {
      const r = await fetch(s.url);
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    } finally {
      await s.close();
    }
  });
});

describe('chromiumPath', () => {
  it('prefers the caller, then $CHROMIUM_PATH, then $CHROMIUM, then Debian\'s path', () => {
    const saved = { a: process.env['CHROMIUM_PATH'], b: process.env['CHROMIUM'] };
    try {
      delete process.env['CHROMIUM_PATH'];
      delete process.env['CHROMIUM'];
      expect(chromiumPath()).toBe(DEFAULT_CHROMIUM);
      process.env['CHROMIUM'] = '/opt/c';
      expect(chromiumPath()).toBe('/opt/c');
      process.env['CHROMIUM_PATH'] = '/opt/p';
      expect(chromiumPath()).toBe('/opt/p');
      expect(chromiumPath('/x')).toBe('/x');
    } finally {
      if (saved.a === undefined) delete process.env['CHROMIUM_PATH'];
      else process.env['CHROMIUM_PATH'] = saved.a;
      if (saved.b === undefined) delete process.env['CHROMIUM'];
      else process.env['CHROMIUM'] = saved.b;
    }
  });
});
