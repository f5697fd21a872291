import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Plugin } from 'vite';

/** One example photo offered on the page, with the row of LICENSES.md that covers it. */
export interface ExamplePhoto {
  readonly file: string;
  readonly size: string;
  readonly source: string;
  readonly licence: string;
}

const VIRTUAL_ID = 'virtual:example-photos';
const RESOLVED_ID = `\0${VIRTUAL_ID}`;
const PHOTO_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);
/** Folder of the served/bundled copies, relative to the site root. */
const OUT_DIR = 'examples';

/**
 * Reads the photo table of LICENSES.md (`| file | size | source | licence |`). Only photos that are
 * both in the table and in the folder are offered: a photo without a licence row is never shipped.
 */
export function readPhotoTable(dir: string): ExamplePhoto[] {
  const licences = join(dir, 'LICENSES.md');
  if (!existsSync(licences)) return [];
  const files = new Set(readdirSync(dir).filter((f) => PHOTO_EXT.has(extname(f).toLowerCase())));
  const photos: ExamplePhoto[] = [];
  for (const line of readFileSync(licences, 'utf8').split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4) continue;
    const [file, size, source, licence] = cells as [string, string, string, string];
    if (files.has(file)) photos.push({ file, size, source, licence });
  }
  return photos;
}

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * Offers the project's shared photos (`../shared/images` beside the checkout, or
 * `RESPRUNE_SHARED_IMAGES`) as examples without committing them twice: `vite build` copies them
 * with their LICENSES.md into `dist/examples/`, `vite` (dev) serves them from there, and the page
 * imports the list and licences from `virtual:example-photos`.
 */
export function sharedPhotos(dir: string): Plugin {
  let photos: ExamplePhoto[] = [];
  return {
    name: 'resprune-shared-photos',
    buildStart() {
      photos = readPhotoTable(dir);
      if (photos.length === 0) {
        this.warn(`no example photos: ${join(dir, 'LICENSES.md')} is missing or lists no photo of that folder; the page will offer none`);
      }
      this.addWatchFile(join(dir, 'LICENSES.md'));
    },
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null;
    },
    load(id) {
      if (id !== RESOLVED_ID) return null;
      const list = photos.map((p) => ({ ...p, path: `${OUT_DIR}/${p.file}` }));
      return [
        `export const EXAMPLE_PHOTOS = ${JSON.stringify(list)};`,
        `export const LICENSES_PATH = ${JSON.stringify(photos.length > 0 ? `${OUT_DIR}/LICENSES.md` : null)};`,
      ].join('\n');
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split('?')[0] ?? '';
        const prefix = `/${OUT_DIR}/`;
        if (!url.startsWith(prefix)) return next();
        const name = decodeURIComponent(url.slice(prefix.length));
        const allowed = name === 'LICENSES.md' || photos.some((p) => p.file === name);
        if (!allowed) return next();
        res.setHeader('Content-Type', TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream');
        res.end(readFileSync(join(dir, name)));
      });
    },
    generateBundle() {
      if (photos.length === 0) return;
      for (const p of photos) {
        this.emitFile({ type: 'asset', fileName: `${OUT_DIR}/${p.file}`, source: readFileSync(join(dir, p.file)) });
      }
      this.emitFile({ type: 'asset', fileName: `${OUT_DIR}/LICENSES.md`, source: readFileSync(join(dir, 'LICENSES.md')) });
    },
  };
}

/**
 * Node-only modules that `@resprune/image-features` imports lazily for `decodeImage` (sharp,
 * node:fs/promises, @resprune/node-files) must never reach the browser bundle: the page decodes
 * images itself and hands the extractor raw RGB pixels. This resolves them to a module that throws
 * if anything calls it.
 */
export function nodeOnly(ids: readonly string[] = ['sharp', 'node:fs/promises', '@resprune/node-files']): Plugin {
  const prefix = '\0resprune-node-only:';
  return {
    name: 'resprune-node-only',
    enforce: 'pre',
    resolveId(source) {
      return ids.includes(source) ? prefix + source : null;
    },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const name = JSON.stringify(id.slice(prefix.length));
      return [
        `const fail = () => { throw new Error(${name} + " is Node-only; the web demo decodes images with createImageBitmap"); };`,
        'export default fail;',
        'export const stat = fail;',
        'export const readRegularFile = fail;',
      ].join('\n');
    },
  };
}
