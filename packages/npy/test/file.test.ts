import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpyFile, writeNpyFile } from '../src/index.js';
import { expectRejection, FIXTURES } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readNpyFile / writeNpyFile', () => {
  it('reads a NumPy fixture from disk', async () => {
    const a = await readNpyFile(join(FIXTURES, 'f4-2x3.npy'));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
  });

  it('writes a file that reads back, identical to writeNpy bytes', async () => {
    const path = join(dir, 'x.npy');
    await writeNpyFile(path, new Float64Array([1, 2, 3, 4]), [2, 2]);
    const a = await readNpyFile(path);
    expect(a.dtype).toBe('f8');
    expect(Array.from(a.data as ArrayLike<number>)).toEqual([1, 2, 3, 4]);
    expect(readFileSync(path).length).toBe(128 + 32);
  });

  it('a missing file or a directory is E_FILE_NOT_FOUND', async () => {
    await expectRejection(readNpyFile(join(dir, 'nope.npy')), 'E_FILE_NOT_FOUND', /nope\.npy': no such file/);
    await expectRejection(readNpyFile(dir), 'E_FILE_NOT_FOUND', /is a directory/);
    await expectRejection(writeNpyFile(join(dir, 'no-folder', 'x.npy'), new Float32Array(1), [1]), 'E_WRITE', /folder does not exist/);
  });

  it('input that never ends or never arrives is refused at once: /dev/zero, a FIFO with no writer', async () => {
    const fifo = join(dir, 'pipe.npy');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    await expectRejection(readNpyFile('/dev/zero'), 'E_FILE_NOT_FOUND', /readNpyFile: cannot open '\/dev\/zero': it is a character device/);
    await expectRejection(readNpyFile(fifo), 'E_FILE_NOT_FOUND', /FIFO/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a file above maxBytes is E_LIMIT before it is read, naming how to raise the limit', async () => {
    const path = join(dir, 'limit.npy');
    await writeNpyFile(path, new Float32Array(100), [100]);
    await expectRejection(readNpyFile(path, { maxBytes: 200 }), 'E_LIMIT', /above the limit of 200 bytes; pass readNpyFile\(path, \{ maxBytes \}\)/);
    expect((await readNpyFile(path, { maxBytes: 528 })).shape).toEqual([100]);
  });

  it('writes atomically: a failed write leaves neither a truncated file nor a temporary file', async () => {
    const path = join(dir, 'atomic.npy');
    await writeNpyFile(path, new Float32Array([1, 2]), [2]);
    await expectRejection(writeNpyFile('/dev/full', new Float32Array(4), [4]), 'E_WRITE', /not a regular file/);
    await expectRejection(writeNpyFile(dir, new Float32Array(4), [4]), 'E_WRITE', /directory/);
    const c = new AbortController();
    c.abort();
    await expectRejection(writeNpyFile(path, new Float32Array([3, 4, 5]), [3], { signal: c.signal }), 'E_ABORTED', /cancelled/);
    expect((await readNpyFile(path)).shape).toEqual([2]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt file names its path in the error', async () => {
    const path = join(dir, 'text.npy');
    writeFileSync(path, 'not numpy at all');
    await expectRejection(readNpyFile(path), 'E_NPY_FORMAT', /text\.npy: readNpy: not a \.npy file/);
  });

  it('writeNpyFile checks its input before touching the disk', async () => {
    const before = readdirSync(dir).length;
    await expectRejection(writeNpyFile(join(dir, 'bad.npy'), new Float32Array(3), [2]), 'E_SHAPE_MISMATCH', /holds 2 elements/);
    expect(readdirSync(dir).length).toBe(before);
  });

  it('the library source imports node: modules only lazily (the byte functions stay browser-safe)', () => {
    const src = join(FIXTURES, '..', '..', 'src');
    for (const name of readdirSync(src)) {
      const text = readFileSync(join(src, name), 'utf8');
      expect(text, name).not.toMatch(/^\s*import[^;]*from\s+['"]node:/m);
    }
  });
});
