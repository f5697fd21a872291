import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as browserEntry from '../src/browser.js';
import * as nodeEntry from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `source` for browsers with nothing external and no stubs; fails on any Node-only import. */
async function bundleForBrowser(source: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    stdin: { contents: source, resolveDir: packageDir, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const metafile: Metafile = result.metafile;
  return { code: result.outputFiles.map((f) => f.text).join('\n'), inputs: Object.keys(metafile.inputs) };
}

describe('browser build', () => {
  it('esbuild bundles @resprune/image-features with @resprune/selector for --platform=browser, with no Node modules', async () => {
    const { code, inputs } = await bundleForBrowser(`
      import { asciiGrid, decodeImage, drawOverlay, renderOverlay } from '@resprune/image-features';
      import { select } from '@resprune/selector';
      export { asciiGrid, decodeImage, drawOverlay, renderOverlay, select };
    `);
    // The browser condition picked the canvas implementation, not the sharp one.
    expect(inputs.some((p) => p.includes('image-features/dist/browser-impl.js'))).toBe(true);
    expect(inputs.some((p) => p.includes('image-features/dist/node.js'))).toBe(false);
    expect(inputs.some((p) => p.includes('selector/dist/'))).toBe(true);
    expect(inputs.some((p) => /node_modules\/(\.pnpm\/)?sharp/.test(p))).toBe(false);
    expect(code).not.toMatch(/["']sharp["']|node:fs|child_process/);
    expect(code).toContain('createImageBitmap');
  });

  it('the Node build of the same import fails in a browser bundle (so the check above can fail)', async () => {
    // Without the browser condition (the `node` one instead), the bundle trips on sharp and its
    // Node built-ins: the failure the browser build exists to avoid.
    await expect(
      build({
        stdin: { contents: `export * from '@resprune/image-features';`, resolveDir: packageDir, loader: 'ts' },
        bundle: true,
        platform: 'neutral',
        conditions: ['node'],
        mainFields: ['module', 'main'],
        format: 'esm',
        write: false,
        logLevel: 'silent',
      }),
    ).rejects.toThrow(/Could not resolve "(node:)?(child_process|fs|util|stream)"/);
  });

  it('the browser entry exports exactly what the Node entry exports', () => {
    expect(Object.keys(browserEntry).sort()).toEqual(Object.keys(nodeEntry).sort());
    expect(Object.keys(nodeEntry).sort()).toEqual(['DEFAULT_MAX_IMAGE_BYTES', 'DEFAULT_MAX_PIXELS', 'asciiGrid', 'assertRgbImage', 'decodeImage', 'drawOverlay', 'overlayPixels', 'readImageHeader', 'renderOverlay', 'toRgba']);
  });
});
