/**
 * emitOutputs, the one way a command ends with files: staged files reach their places only after
 * stdout took the text; a stdout failure or a Ctrl-C while they are staged leaves none of them.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRejection } from '@resprune/test-backends';
import { emitOutputs, progressBar, type CliIO } from '../src/io.js';

const dir = mkdtempSync(join(tmpdir(), 'resprune-cli-emit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collector(flush?: () => Promise<void>): CliIO & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (t) => void out.push(t), stderr: () => undefined, ...(flush === undefined ? {} : { flush }) };
}

const files = (): { path: string; data: string }[] => [
  { path: join(dir, 'a.txt'), data: 'a' },
  { path: join(dir, 'b.txt'), data: 'b' },
];

describe('emitOutputs', () => {
  it('puts every file in place after stdout took the text', async () => {
    const io = collector(async () => undefined);
    await emitOutputs(io, 'test', files(), 'done\n');
    expect(io.out).toEqual(['done\n']);
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('b');
    rmSync(join(dir, 'a.txt'));
    rmSync(join(dir, 'b.txt'));
  });

  it('a failing stdout (ENOSPC): E_WRITE and no file remains', async () => {
    const io = collector(() => Promise.reject(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })));
    await expectRejection(emitOutputs(io, 'test', files(), 'x'), 'E_WRITE', /cannot write to standard output: no space left/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('Ctrl-C while the files are staged: E_ABORTED and no file remains', async () => {
    const io = collector(async () => {
      process.emit('SIGINT');
    });
    await expectRejection(emitOutputs(io, 'test', files(), 'x'), 'E_ABORTED', /test: interrupted; no output was written/);
    expect(readdirSync(dir)).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(0); // the trap is gone again
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
  });
});

describe('progressBar (the one bar of every command)', () => {
  it('off a terminal: a line at 0 %, at each new step and at 100 %', () => {
    const lines: string[] = [];
    const bar = progressBar({ stdout: () => undefined, stderr: (t) => void lines.push(t) }, 'loading weights');
    bar.update(0, 'a', 'shard-1');
    bar.update(0.2, 'b', 'shard-1');
    bar.update(0.5, 'c', 'shard-2');
    bar.update(1, 'd', 'shard-2');
    bar.done();
    expect(lines).toEqual(['loading weights: 0% a\n', 'loading weights: 50% c\n', 'loading weights: 100% d\n']);
  });

  it('on a terminal: redrawn in place, ended by one newline', () => {
    const out: string[] = [];
    const bar = progressBar({ stdout: () => undefined, stderr: (t) => void out.push(t), isTTY: true }, 'x');
    bar.update(0.5);
    bar.update(0.5);
    bar.done();
    bar.done();
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\rx \[#+-+\]  50%/);
    expect(out[1]).toBe('\n');
  });
});
