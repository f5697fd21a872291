import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pngClaiming } from '@resprune/test-backends/fuzz';
import { DEFAULT_MAX_IMAGE_PIXELS, decodeRgb, decodeRgbFile } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-pixels-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
}

describe('decodeRgbFile / decodeRgb: hostile files', () => {
  it('a FIFO with no writer and /dev/zero are refused at once, without being read', async () => {
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expect(await code(decodeRgbFile(fifo))).toBe('E_FILE_NOT_FOUND');
    expect(await code(decodeRgbFile('/dev/zero'))).toBe('E_FILE_NOT_FOUND');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a PNG bomb (16383×16383 claimed in 20 KB) is E_LIMIT from its header; maxPixels moves the limit', async () => {
    const bomb = pngClaiming(16383, 16383);
    const path = join(dir, 'bomb.png');
    writeFileSync(path, bomb);
    const rss0 = process.memoryUsage().rss;
    await expect(decodeRgbFile(path)).rejects.toMatchObject({ code: 'E_LIMIT', message: expect.stringMatching(new RegExp(`above the limit of ${DEFAULT_MAX_IMAGE_PIXELS}`)) });
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 << 20);
    const small = pngClaiming(10, 8);
    await expect(decodeRgb(small, { maxPixels: 79 })).rejects.toMatchObject({ code: 'E_LIMIT' });
    await expect(decodeRgb(small, { maxPixels: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    // 80 pixels are within the limit: the (truncated) data is then a decode error, not a limit.
    expect(await code(decodeRgb(small, { maxPixels: 80 }))).not.toBe('E_LIMIT');
  });

  it('maxBytes refuses a large file before reading it', async () => {
    const path = join(dir, 'big.png');
    writeFileSync(path, new Uint8Array(4096));
    await expect(decodeRgbFile(path, { maxBytes: 1024 })).rejects.toMatchObject({ code: 'E_LIMIT' });
  });
});
