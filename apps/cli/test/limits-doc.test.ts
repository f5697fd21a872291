/**
 * docs/guide/limits-and-errors.md cannot drift: it must list every error code of ERROR_CODES (and no
 * other), the CLI's exit statuses, and the current value of every limit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@resprune/errors';
import { DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_PIXELS as LIBRARY_MAX_PIXELS } from '@resprune/image-features';
import { DEFAULT_MAX_FILE_BYTES } from '@resprune/node-files';
import { DEFAULT_MAX_NPY_BYTES } from '@resprune/npy';
import { repoRoot } from '@resprune/test-backends';
import { MAX_NEW_TOKENS_LIMIT } from '@resprune/pipeline';
import { MAX_PAIRWISE_TOKENS } from '@resprune/selector';
import { DEFAULT_MAX_NPY_BYTES as CLI_MAX_NPY_BYTES, DEFAULT_MAX_PIXELS, MAX_NEW_TOKENS, MAX_PIXELS_CEILING, MAX_REPEAT } from '../src/limits.js';
import { EXIT_ABORTED, EXIT_BAD_INPUT } from '../src/io.js';

const page = readFileSync(`${repoRoot()}/docs/guide/limits-and-errors.md`, 'utf8');
const section = (title: string): string => page.split(`\n## ${title}\n`)[1]!.split('\n## ')[0]!;

describe('docs/guide/limits-and-errors.md', () => {
  it('lists every error code once, with a meaning and a fix, and no code that does not exist', () => {
    const rows = section('Error codes')
      .split('\n')
      .filter((line) => line.startsWith('| `E_'));
    const listed = rows.map((line) => /^\| `(E_[A-Z_]+)` \|/.exec(line)?.[1]);
    expect(listed.sort()).toEqual([...ERROR_CODES].sort());
    for (const row of rows) expect(row.split('|').filter((cell) => cell.trim() !== '')).toHaveLength(3);
  });

  it('states the current limits', () => {
    const limits = section('Limits');
    const grouped = (n: number): string => n.toLocaleString('en-US');
    expect(DEFAULT_MAX_PIXELS).toBe(LIBRARY_MAX_PIXELS);
    expect(limits).toContain(`**${grouped(DEFAULT_MAX_PIXELS)} pixels**`);
    expect(limits).toContain('`--max-pixels N` (up to 2^30)');
    expect(MAX_PIXELS_CEILING).toBe(2 ** 30);
    expect(DEFAULT_MAX_IMAGE_BYTES).toBe(256 << 20);
    expect(limits).toMatch(/\| image file \| 256 MiB \|/);
    expect(DEFAULT_MAX_NPY_BYTES).toBe(1 << 30);
    expect(DEFAULT_MAX_FILE_BYTES).toBe(1 << 30);
    expect(limits).toMatch(/\| `\.npy` file \(library\) \| 1 GiB \|/);
    expect(CLI_MAX_NPY_BYTES).toBe(512 << 20);
    expect(limits).toMatch(/\| `\.npy` input of the CLI \| 512 MiB .*\| `--max-npy-bytes N` \|/);
    expect(limits).toContain(`| \`resprune select --repeat\` | 1 to ${MAX_REPEAT} |`);
    expect(limits).toContain(`| \`--max-new-tokens\` / \`maxNewTokens\` | 0 to ${MAX_NEW_TOKENS} |`);
    expect(MAX_NEW_TOKENS).toBe(MAX_NEW_TOKENS_LIMIT);
    expect(limits).toContain(`| ${MAX_PAIRWISE_TOKENS.toLocaleString('en-US')} tokens`);
  });

  it('states the exit statuses the CLI uses', () => {
    const table = section('Exit status of the CLI');
    expect(table).toContain(`| ${EXIT_BAD_INPUT} | bad input`);
    expect(table).toContain(`| ${EXIT_ABORTED} | cancelled with Ctrl-C`);
  });
});
