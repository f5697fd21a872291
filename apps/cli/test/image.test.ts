import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '@resprune/image-features';
import { sharedPath } from '@resprune/test-backends';
import { runCli, tempDir } from './cli-helpers.js';

describe('resprune image (the README main job) on a real photo', () => {
  it('extracts 576 tokens, keeps K, writes the overlay and prints the grid', async () => {
    const dir = tempDir();
    const overlay = join(dir, 'kept.png');
    const run = runCli(['image', sharedPath('images', 'dog.jpg'), '--keep', '128', '--overlay', overlay, '--backend', 'wasm']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/24x24 = 576 visual tokens, d=1280/);
    expect(run.stdout).toMatch(/kept 128 of 576 tokens/);
    const grid = run.stdout.split('\n').filter((line) => /^[█·]{24}$/.test(line));
    expect(grid).toHaveLength(24);
    expect(grid.join('').split('█').length - 1).toBe(128);
    expect(existsSync(overlay)).toBe(true);
    const png = await decodeImage(overlay);
    expect([png.width, png.height]).toEqual([768, 576]);
  });

  it('--json reports valid kept indices for another photo and an energy budget', () => {
    const run = runCli(['image', sharedPath('images', 'chelsea.png'), '--energy', '0.9', '--normalize', 'center', '--json', '--backend', 'wasm']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { n: number; kept: number[]; energy: number[]; grid: { rows: number; cols: number } };
    expect(out.n).toBe(576);
    expect(out.grid).toEqual({ rows: 24, cols: 24 });
    expect(out.kept.length).toBeGreaterThan(0);
    expect(out.kept.every((k, i) => Number.isInteger(k) && k >= 0 && k < 576 && (i === 0 || k > out.kept[i - 1]!))).toBe(true);
    expect(out.energy[out.energy.length - 1]!).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects a file that is not an image with exit 2 and one line', () => {
    const run = runCli(['image', sharedPath('images', 'LICENSES.md'), '--keep', '10', '--backend', 'wasm']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/E_IMAGE_DECODE/);
  });

  it('rejects a missing photo and a missing budget', () => {
    expect(runCli(['image', '/nonexistent/photo.jpg', '--keep', '10']).stderr).toMatch(/E_FILE_NOT_FOUND/);
    const noBudget = runCli(['image', sharedPath('images', 'dog.jpg')]);
    expect(noBudget.code).toBe(2);
    expect(noBudget.stderr).toMatch(/E_BUDGET/);
  });
});
