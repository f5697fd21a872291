/**
 * The CLI's promise under hostile input (issue #12): bad input gets one line on stderr naming a typed
 * error, exit 2 and nothing on stdout, quickly; a failed output leaves no file behind; stdout failures
 * are one line, a closed pipe is quiet; Ctrl-C writes nothing. Every case spawns the built CLI.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@resprune/npy';
import { sharedPath } from '@resprune/test-backends';
import { CLI, runCli, tempDir, type CliRun } from './cli-helpers.js';

let dir = '';
const path = (name: string): string => join(dir, name);
const DOG = sharedPath('images', 'dog.jpg');

/** Exit 2, nothing on stdout, exactly one line on stderr matching `pattern`. */
function expectBadInput(run: CliRun, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** Runs the CLI and measures how long it took. */
function timed(args: readonly string[]): CliRun & { ms: number } {
  const t0 = performance.now();
  const run = runCli(args, 30_000);
  return { ...run, ms: performance.now() - t0 };
}

/** Runs the CLI with stdout sent to a file descriptor (e.g. /dev/full). */
function runWithStdout(target: string, args: readonly string[]): { code: number | null; stderr: string } {
  const fd = openSync(target, 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG whose header claims width × height grey-ish RGB pixels, with `rows` rows of data. */
function png(width: number, height: number, rows: number): Buffer {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const data = deflateSync(Buffer.alloc(rows * (1 + 3 * width), 0)); // filter byte 0, black pixels
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', data), chunk('IEND', new Uint8Array(0))]);
}

beforeAll(() => {
  dir = tempDir('resprune-cli-hostile-');
  const v = Float32Array.from({ length: 3000 * 8 }, (_, i) => Math.sin(i * 1.37));
  writeFileSync(path('v.npy'), writeNpy(v, [3000, 8]));
  execFileSync('mkfifo', [path('fifo.npy')]);
  execFileSync('mkfifo', [path('fifo.jpg')]);
  execFileSync('mkfifo', [path('fifo.json')]);
  writeFileSync(path('bomb.png'), png(16383, 16383, 1)); // about 100 bytes
  writeFileSync(path('small.png'), png(20, 10, 10));
  // A "checkpoint" whose weights are a 20 GB sparse file: validation must fail long before reading it.
  mkdirSync(path('model'));
  writeFileSync(path('model/config.json'), JSON.stringify({ model_type: 'llava' }));
  execFileSync('truncate', ['-s', '20G', path('model/model.safetensors')]);
  mkdirSync(path('empty-model'));
  mkdirSync(path('out'));
});

describe('1. input that never ends or never arrives is refused at once', () => {
  it.each([
    ['select --visual /dev/zero', () => ['select', '--visual', '/dev/zero', '--keep', '3'], /^resprune select: E_FILE_NOT_FOUND: .*'\/dev\/zero': it is a character device/],
    ['select --visual FIFO', () => ['select', '--visual', path('fifo.npy'), '--keep', '3'], /E_FILE_NOT_FOUND: .*FIFO/],
    ['select --text FIFO', () => ['select', '--visual', path('v.npy'), '--text', path('fifo.npy'), '--keep', '3'], /E_FILE_NOT_FOUND: .*FIFO/],
    ['image FIFO', () => ['image', path('fifo.jpg'), '--keep', '3'], /^resprune image: E_FILE_NOT_FOUND: .*FIFO/],
    ['image /dev/zero', () => ['image', '/dev/zero', '--keep', '3'], /E_FILE_NOT_FOUND: .*character device/],
    ['layout --config FIFO', () => ['layout', '--config', path('fifo.json'), '--image-size', '640x480'], /^resprune layout: E_FILE_NOT_FOUND: .*FIFO/],
    ['generate --image FIFO', () => ['generate', '--model', path('model'), '--image', path('fifo.jpg'), '--prompt', 'hi'], /^resprune generate: E_FILE_NOT_FOUND: .*FIFO/],
  ])('%s', (_, args, pattern) => {
    const run = timed(args());
    expectBadInput(run, pattern);
    expect(run.ms).toBeLessThan(15_000);
  });
});

describe('2. small inputs that ask for huge work are refused before the work', () => {
  it('a 100-byte PNG claiming 16383×16383 pixels: E_LIMIT from the header, and --max-pixels moves the limit', () => {
    const bomb = timed(['image', path('bomb.png'), '--keep', '3']);
    expectBadInput(bomb, /^resprune image: E_LIMIT: .*16383×16383 = 268402689 pixels, above the limit of 25000000; .*--max-pixels/);
    expect(bomb.ms).toBeLessThan(15_000);
    expectBadInput(runCli(['image', path('small.png'), '--keep', '3', '--max-pixels', '199']), /E_LIMIT: .*20×10 = 200 pixels, above the limit of 199/);
    expectBadInput(runCli(['image', path('small.png'), '--keep', '3', '--max-pixels', '0']), /E_INVALID_OPTION: --max-pixels must be an integer from 1 to/);
    expectBadInput(runCli(['generate', '--model', path('model'), '--image', path('bomb.png'), '--prompt', 'hi']), /^resprune generate: E_LIMIT: .*above the limit/);
  });

  it('a .npy input above --max-npy-bytes is E_LIMIT before it is read', () => {
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '3', '--max-npy-bytes', '1000']), /^resprune select: E_LIMIT: --visual .*v\.npy: 96128 bytes, above the limit of 1000; pass --max-npy-bytes N/);
  });

  it('--repeat and --max-new-tokens are bounded', () => {
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '3', '--repeat', '1000000']), /E_INVALID_OPTION: --repeat must be an integer from 1 to 1000/);
    expectBadInput(runCli(['select', '--visual', path('v.npy'), '--keep', '3', '--repeat', '0']), /E_INVALID_OPTION: --repeat/);
    expectBadInput(runCli(['generate', '--model', path('model'), '--image', DOG, '--prompt', 'hi', '--max-new-tokens', '100000']), /E_INVALID_OPTION: --max-new-tokens must be an integer from 0 to 4096/);
  });
});

describe('3. failed outputs: a typed error, and no file of the command remains', () => {
  it.each([
    ['a missing folder', () => path('no-such-folder/kept.png'), /E_WRITE: --overlay: cannot write .*folder does not exist/],
    ['a folder given as the file', () => path('out'), /E_WRITE: --overlay: cannot write .*directory/],
    ['a device given as the file (/dev/full)', () => '/dev/full', /E_WRITE: --overlay: cannot write '\/dev\/full': .*not a regular file/],
    ['an unwritable place', () => (process.getuid?.() === 0 ? '/proc/resprune-kept.png' : '/kept.png'), /E_WRITE: --overlay: cannot write/],
  ])('image --overlay into %s, with --tokens beside it', (_, target, pattern) => {
    const run = timed(['image', DOG, '--keep', '10', '--tokens', path('out/tokens.npy'), '--overlay', target()]);
    expectBadInput(run, pattern);
    expect(run.ms).toBeLessThan(15_000); // checked before the photo is even decoded
    expect(readdirSync(path('out'))).toEqual([]);
  });

  it('generate --dump-logits into a missing folder fails before loading', () => {
    expectBadInput(
      runCli(['generate', '--model', path('model'), '--image', DOG, '--prompt', 'hi', '--dump-logits', path('nope/logits.npy')]),
      /^resprune generate: E_WRITE: --dump-logits: cannot write .*folder does not exist/,
    );
  });
});

describe('4. stdout itself', () => {
  it('--json > /dev/full: one line on stderr, exit 2, no stack trace', () => {
    const r = runWithStdout('/dev/full', ['select', '--visual', path('v.npy'), '--keep', '2000', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['resprune: E_WRITE: cannot write to standard output: no space left on the device (disk full)']);
  });

  it('image --overlay --json > /dev/full: the overlay is not left behind either', () => {
    const r = runWithStdout('/dev/full', ['image', DOG, '--keep', '10', '--overlay', path('out/kept.png'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^resprune image: E_WRITE: cannot write to standard output/m);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(readdirSync(path('out'))).toEqual([]);
  });

  it('piping into `head -c 10` ends quietly with exit 0', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" select --visual "${path('v.npy')}" --keep 2000 --json | head -c 10; exit \${PIPESTATUS[0]}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toHaveLength(10);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('usage errors go to stderr, not stdout', () => {
    expectBadInput(runCli([]), /^resprune: E_INVALID_OPTION: no command given; expected one of image, layout, select, generate/);
    expectBadInput(runCli(['select', '--bogus']), /^resprune select: E_INVALID_OPTION: /);
  });
});

describe('5. generate validates the whole request before loading any weight', () => {
  it.each([
    ['an empty prompt', ['--prompt', '   '], /E_EMPTY_INPUT: --prompt is empty/],
    ['--top-p 2', ['--prompt', 'hi', '--top-p', '2'], /E_INVALID_OPTION: --top-p must be a number in \(0, 1\], got 2/],
    ['--top-k 0', ['--prompt', 'hi', '--top-k', '0'], /E_INVALID_OPTION: --top-k must be an integer >= 1/],
    ['--temperature -1', ['--prompt', 'hi', '--temperature=-1'], /E_INVALID_OPTION: --temperature must be a number > 0/],
    ['a negative --max-new-tokens', ['--prompt', 'hi', '--max-new-tokens=-1'], /E_INVALID_OPTION: --max-new-tokens must be an integer from 0 to 4096, got -1/],
    ['an unknown method', ['--prompt', 'hi', '--method', 'nope'], /E_UNKNOWN_METHOD: .*nope/],
    ['an out-of-range budget', ['--prompt', 'hi', '--ratio', '2'], /E_BUDGET/],
    ['two budgets', ['--prompt', 'hi', '--keep', '3', '--ratio', '0.5'], /E_BUDGET: give at most one budget/],
    ['an unreadable image', ['--prompt', 'hi', '--image', '/nonexistent.jpg'], /E_FILE_NOT_FOUND: .*no such file/],
    ['an image that is not an image', ['--prompt', 'hi', '--image', '__config__'], /E_IMAGE_DECODE/],
    ['a folder without config.json', ['--prompt', 'hi', '--model', '__empty__'], /E_FILE_NOT_FOUND: .*config\.json/],
    ['no model folder', ['--prompt', 'hi', '--model', '/nonexistent-model'], /E_FILE_NOT_FOUND: --model \/nonexistent-model: no such checkpoint folder/],
  ])('%s: fails fast, beside 20 GB of weights', (_, extra, pattern) => {
    const base = { '--model': path('model'), '--image': DOG };
    const args = ['generate', ...Object.entries(base).flatMap(([k, v]) => (extra.includes(k) ? [] : [k, v])), ...extra].map((a) =>
      a === '__config__' ? path('model/config.json') : a === '__empty__' ? path('empty-model') : a,
    );
    const run = timed(args);
    expectBadInput(run, new RegExp(`^resprune generate: ${pattern.source}`));
    expect(run.ms).toBeLessThan(15_000);
  });
});

describe('7. Ctrl-C', () => {
  it('ends the command at once and leaves no output file', async () => {
    const child = spawn(process.execPath, [CLI, 'image', DOG, '--keep', '10', '--overlay', path('out/ctrl-c.png')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const t0 = performance.now();
    let sent = 0;
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (sent === 0 && stderr.includes('loading MobileNetV2: 0%')) {
          sent = performance.now();
          child.kill('SIGINT');
        }
      });
      child.on('close', (c, s) => resolve([c, s]));
    });
    // Killed by the signal (a shell reports 130), or exit 130 when it came while outputs were staged.
    expect(signal === 'SIGINT' || code === 130, `code ${code}, signal ${signal}: ${stderr}`).toBe(true);
    expect(sent).toBeGreaterThan(t0);
    expect(performance.now() - sent).toBeLessThan(5000);
    expect(stdout).toBe('');
    expect(existsSync(path('out/ctrl-c.png'))).toBe(false);
    expect(readdirSync(path('out'))).toEqual([]);
  });
});
