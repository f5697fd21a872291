import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sharedPhotos } from './build/shared-images.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/**
 * Example photos: an override, else `../shared/images` beside the checkout when present (as in CI),
 * else the photos shipped in the repository (`assets/photos`).
 */
const sharedImages = resolve(here, '../../../shared/images');
const photosDir = process.env['RESPRUNE_SHARED_IMAGES'] ?? (existsSync(sharedImages) ? sharedImages : resolve(here, '../../assets/photos'));

/**
 * Cross-origin isolation: with these two headers on the page (and its workers) the browser allows
 * SharedArrayBuffer, so ResPrune's WebAssembly greedy runs on several threads. Everything the page
 * loads is same-origin, so `require-corp` blocks nothing. A host that does not send them still gets
 * a working page, with the greedy on one WebAssembly thread.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative URLs: dist/ can be served from any sub-path (GitHub Pages, a file server, a CDN folder).
  base: './',
  plugins: [sharedPhotos(photosDir)],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The MobileNetV2 weights (3.5 MB of base64 inside the nsfwjs bundle) form one lazy chunk.
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    // Two pages: the demo, and bench.html (selection timings for a browser, driven by apps/benchmark).
    rolldownOptions: { input: { index: resolve(here, 'index.html'), bench: resolve(here, 'bench.html') } },
  },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
