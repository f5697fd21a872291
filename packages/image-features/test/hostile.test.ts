import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@resprune/test-backends';
import { fuzzParams, mutatedBytes, pngClaiming, typedOrValid } from '@resprune/test-backends/fuzz';
import { DEFAULT_MAX_PIXELS, decodeImage, readImageHeader } from '../src/index.js';
import { expectRejection } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-image-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('images: input that never ends or never arrives', () => {
  it('a FIFO with no writer and /dev/zero are refused at once', async () => {
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    await expectRejection(decodeImage(fifo), 'E_FILE_NOT_FOUND', /FIFO/);
    await expectRejection(decodeImage('/dev/zero'), 'E_FILE_NOT_FOUND', /character device/);
    await expectRejection(readImageHeader(fifo), 'E_FILE_NOT_FOUND', /FIFO/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('images: small files that ask for huge work', () => {
  it('a 16383×16383 PNG bomb is refused from its header, before any pixel is decoded', async () => {
    const bomb = pngClaiming(16383, 16383);
    expect(bomb.length).toBeLessThan(20_000);
    const path = join(dir, 'bomb.png');
    writeFileSync(path, bomb);
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    await expectRejection(decodeImage(path), 'E_LIMIT', /16383×16383 = 268402689 pixels, above the limit of 25000000; pass \{ maxPixels \} \(CLI: --max-pixels N\)/);
    await expectRejection(readImageHeader(bomb), 'E_LIMIT', /above the limit/);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 << 20);
    expect(DEFAULT_MAX_PIXELS).toBe(25_000_000);
  });

  it('maxPixels lowers or raises the limit; the header is read as stored', async () => {
    const png = new Uint8Array(await sharp(Buffer.alloc(10 * 8 * 3, 90), { raw: { width: 10, height: 8, channels: 3 } }).png().toBuffer());
    await expectRejection(decodeImage(png, { maxPixels: 79 }), 'E_LIMIT', /10×8 = 80 pixels, above the limit of 79/);
    expect((await decodeImage(png, { maxPixels: 80 })).width).toBe(10);
    expect(await readImageHeader(png)).toEqual({ width: 10, height: 8, format: 'png' });
    await expectRejection(decodeImage(png, { maxPixels: 0 }), 'E_INVALID_OPTION', /maxPixels/);
    await expectRejection(decodeImage(sharedPath('images', 'dog.jpg'), { maxBytes: 1000 }), 'E_LIMIT', /above the limit of 1000 bytes/);
  });
});

describe('fuzz: mutated image bytes end in a typed error or a valid image, fast', () => {
  it.each([
    ['png', sharedPath('images', 'chelsea.png'), 64],
    ['jpeg', sharedPath('images', 'dog.jpg'), 600],
  ] as const)('%s', async (label, path, head) => {
    const base = new Uint8Array(readFileSync(path));
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedBytes(base, head), async (bytes) => {
        seen.add(
          await typedOrValid(async () => {
            const img = await decodeImage(bytes);
            expect(img.data.length).toBe(img.width * img.height * 3);
          }, 5000),
        );
      }),
      fuzzParams(`image ${label}`, 40),
    );
    expect(seen.size).toBeGreaterThan(0);
  });
});
