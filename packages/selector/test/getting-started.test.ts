import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, inject, it } from 'vitest';

/**
 * docs/guide/getting-started.md promises that its `ts` blocks run as written when pasted into a
 * fresh file. Each block is compiled (types stripped) and run in its own Node process from this
 * package's folder, where every package the page installs resolves. A `console.log(x); // 128`
 * comment is the expected output: the printed line must start with it.
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const page = readFileSync(new URL('../../../docs/guide/getting-started.md', import.meta.url), 'utf8');
const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(packageDir, '.getting-started-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Expected first word of each console.log line, or undefined when the comment is prose. */
function expectations(code: string): (string | undefined)[] {
  return code
    .split('\n')
    .filter((line) => /^\s*console\.log\(/.test(line))
    .map((line) => /\/\/\s*(-?\d[\w.]*|'[^']*')/.exec(line)?.[1]?.replace(/^'|'$/g, ''));
}

describe.runIf(inject('tfBackend') === 'cpu')('docs/guide/getting-started.md', () => {
  it('has the API examples (main, fast path, text, backend, errors)', () => {
    expect(blocks.length).toBe(5);
    expect(blocks[1]).toContain('await registerFastKernels();');
  });

  it.each(blocks.map((code, k) => [k, code] as const))('block %i runs as written in a fresh file', (k, code) => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(dir, `block-${k}.mjs`);
    writeFileSync(file, js);
    const stdout = execFileSync(process.execPath, [file], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
    const lines = stdout.split('\n').filter((line) => line !== '');
    const expected = expectations(code);
    expect(lines.length).toBe(expected.length);
    expected.forEach((want, i) => {
      if (want !== undefined) expect(lines[i]!.split(/[\s,]/)[0], `block ${k}, console.log #${i + 1}`).toBe(want);
    });
  });
});
