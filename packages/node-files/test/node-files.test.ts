import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError, expectRejection } from '@resprune/test-backends';
import {
  checkRegularFile,
  openRegularFileSync,
  readRegularFile,
  readRegularFileSync,
  writeFilesAtomic,
  writeFilesAtomicSync,
  stageFiles,
  checkOutputPath,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-node-files-'));
afterAll(() => {
  try {
    chmodSync(join(dir, 'ro'), 0o755);
  } catch {
    // not created
  }
  rmSync(dir, { recursive: true, force: true });
});
const path = (name: string): string => join(dir, name);
const isRoot = process.getuid?.() === 0;

function fifo(name: string): string {
  const p = path(name);
  execFileSync('mkfifo', [p]);
  return p;
}

describe('reading: only regular files, bounded', () => {
  it('reads a regular file whole, sync and async', async () => {
    writeFileSync(path('a.bin'), Uint8Array.from([1, 2, 3]));
    expect(Array.from(await readRegularFile(path('a.bin')))).toEqual([1, 2, 3]);
    expect(Array.from(readRegularFileSync(path('a.bin')))).toEqual([1, 2, 3]);
    expect(checkRegularFile(path('a.bin'))).toBe(3);
  });

  it('refuses /dev/zero without reading it (it never ends)', async () => {
    await expectRejection(readRegularFile('/dev/zero', { op: '--visual' }), 'E_FILE_NOT_FOUND', /character\ device/);
    expectError(() => readRegularFileSync('/dev/zero'), 'E_FILE_NOT_FOUND', /not\ a\ regular\ file/);
  });

  it('refuses a FIFO with no writer at once instead of blocking', async () => {
    const p = fifo('pipe');
    const t0 = performance.now();
    await expectRejection(readRegularFile(p), 'E_FILE_NOT_FOUND', /FIFO/);
    expectError(() => openRegularFileSync(p), 'E_FILE_NOT_FOUND', /FIFO/);
    expectError(() => checkRegularFile(p), 'E_FILE_NOT_FOUND', /FIFO/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a directory and a missing path', async () => {
    await expectRejection(readRegularFile(dir), 'E_FILE_NOT_FOUND', /directory/);
    await expectRejection(readRegularFile(path('missing')), 'E_FILE_NOT_FOUND', /no\ such\ file/);
  });

  it('refuses a file over maxBytes before reading it, naming how to raise the limit', async () => {
    writeFileSync(path('big.bin'), new Uint8Array(1000));
    await expectRejection(readRegularFile(path('big.bin'), { maxBytes: 999, raise: 'pass --max-file-bytes' }), 'E_LIMIT', /\-\-max\-file\-bytes/);
    expectError(() => readRegularFileSync(path('big.bin'), { maxBytes: 10 }), 'E_LIMIT', /above\ the\ limit\ of\ 10\ bytes/);
    expect((await readRegularFile(path('big.bin'), { maxBytes: 1000 })).length).toBe(1000);
    await expectRejection(readRegularFile(path('big.bin'), { maxBytes: Number.NaN }), 'E_INVALID_OPTION', /./);
  });

  it('stops with E_ABORTED when the signal is aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expectRejection(readRegularFile(path('a.bin'), { signal: c.signal }), 'E_ABORTED', /./);
  });

  it('open hands back a descriptor of a regular file and its size', () => {
    const { fd, size } = openRegularFileSync(path('a.bin'));
    closeSync(fd);
    expect(size).toBe(3);
  });
});

describe('writing: all outputs or none', () => {
  const leftovers = (folder: string): string[] => readdirSync(folder).filter((n) => n.endsWith('.tmp'));

  it('writes every file and leaves no temporary file', async () => {
    mkdirSync(path('out'));
    await writeFilesAtomic([
      { path: path('out/a.txt'), data: 'hello' },
      { path: path('out/b.bin'), data: Uint8Array.from([7, 8]) },
    ]);
    expect(readFileSync(path('out/a.txt'), 'utf8')).toBe('hello');
    expect(Array.from(readFileSync(path('out/b.bin')))).toEqual([7, 8]);
    writeFilesAtomicSync([{ path: path('out/a.txt'), data: 'replaced' }]);
    expect(readFileSync(path('out/a.txt'), 'utf8')).toBe('replaced');
    expect(leftovers(path('out'))).toEqual([]);
  });

  it('a missing folder: E_WRITE, and the other outputs are not written either', async () => {
    await expectRejection(
      writeFilesAtomic([
        { path: path('out/first.txt'), data: 'x' },
        { path: path('no-such-folder/second.txt'), data: 'y' },
      ]),
      'E_WRITE',
      /folder does not exist/,
    );
    expect(existsSync(path('out/first.txt'))).toBe(false);
    expect(leftovers(path('out'))).toEqual([]);
  });

  it('a folder given as the file, and a device (/dev/full) given as the file: E_WRITE', async () => {
    await expectRejection(writeFilesAtomic([{ path: path('out'), data: 'x' }]), 'E_WRITE', /directory/);
    await expectRejection(writeFilesAtomic([{ path: '/dev/full', data: 'x' }]), 'E_WRITE', /not\ a\ regular\ file/);
    expect(readdirSync('/dev').some((n) => n.startsWith('.full.'))).toBe(false);
  });

  it('an unwritable place: E_WRITE, nothing left', async () => {
    if (isRoot) {
      // root may write into a chmod 555 folder; /proc accepts no new files, even from root.
      await expectRejection(writeFilesAtomic([{ path: '/proc/resprune-test.bin', data: 'x' }]), 'E_WRITE', /./);
    } else {
      mkdirSync(path('ro'));
      chmodSync(path('ro'), 0o555);
      await expectRejection(writeFilesAtomic([{ path: path('ro/x.bin'), data: 'x' }]), 'E_WRITE', /permission\ denied/);
      expect(readdirSync(path('ro'))).toEqual([]);
    }
  });

  it('a full disk (ENOSPC) midway: E_WRITE, and no output or temporary file remains', async (ctx) => {
    // A 64 KiB tmpfs; needs mount rights (root in a container), skipped elsewhere.
    const mnt = path('small-fs');
    mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) ctx.skip();
    try {
      writeFileSync(join(mnt, 'keep.txt'), 'old');
      const err = await writeFilesAtomic([
        { path: join(mnt, 'keep.txt'), data: 'new' },
        { path: join(mnt, 'big.bin'), data: new Uint8Array(1 << 20) },
      ]).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('E_WRITE');
      expect((err as Error).message).toContain('disk full');
      expect(readdirSync(mnt).sort()).toEqual(['keep.txt']);
      expect(readFileSync(join(mnt, 'keep.txt'), 'utf8')).toBe('old');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('two outputs with the same path, and a cancelled signal: typed errors, nothing written', async () => {
    await expectRejection(
      writeFilesAtomic([
        { path: path('out/same.txt'), data: 'a' },
        { path: path('out/../out/same.txt'), data: 'b' },
      ]),
      'E_WRITE',
      /named twice/,
    );
    const c = new AbortController();
    c.abort();
    await expectRejection(writeFilesAtomic([{ path: path('out/c.txt'), data: 'c' }], { signal: c.signal }), 'E_ABORTED', /./);
    expect(existsSync(path('out/same.txt')) || existsSync(path('out/c.txt'))).toBe(false);
    expect(leftovers(path('out'))).toEqual([]);
  });
});

describe('staging: write now, put in place later', () => {
  it('commit puts every file in place; discard leaves nothing', () => {
    const out = path('stage');
    mkdirSync(out);
    const a = stageFiles([{ path: join(out, 'a.txt'), data: 'a' }]);
    expect(readdirSync(out).filter((n) => !n.endsWith('.tmp'))).toEqual([]);
    a.commit();
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('a');
    const b = stageFiles([{ path: join(out, 'b.txt'), data: 'b' }]);
    b.discard();
    b.discard();
    expect(readdirSync(out)).toEqual(['a.txt']);
    expectError(() => checkOutputPath(join(out, 'nope', 'x'), '--dump-logits'), 'E_WRITE', /--dump-logits: cannot write .*folder does not exist/);
    expectError(() => checkOutputPath(out), 'E_WRITE', /directory/);
    checkOutputPath(join(out, 'fresh.bin'));
    expect(readdirSync(out)).toEqual(['a.txt']); // the probe file is gone
    expectError(() => checkOutputPath('/proc/resprune-probe.bin', '--overlay'), 'E_WRITE', /--overlay: cannot write/);
  });
});
