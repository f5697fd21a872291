import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module specifier imported (statically or dynamically) by the files reachable from `entry`. */
function importsFrom(entry: string): { files: string[]; specifiers: Set<string> } {
  const seen = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    // Code only: the TSDoc examples import the package by name.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else specifiers.add(spec);
    }
  };
  visit(join(SRC, entry));
  return { files: [...seen], specifiers };
}

describe('the main entry is browser-safe', () => {
  it('imports no Node built-ins and no sharp, only the three workspace packages', () => {
    const { files, specifiers } = importsFrom('index.ts');
    expect(files.length).toBeGreaterThan(5);
    expect([...specifiers].sort()).toEqual(['@resprune/backbone-llava', '@resprune/backbone-qwen-vl', '@resprune/errors']);
  });

  it('keeps sharp and the file reader behind the ./node subpath', () => {
    const { specifiers } = importsFrom('node.ts');
    expect(specifiers.has('sharp')).toBe(true);
    expect(specifiers.has('@resprune/node-files')).toBe(true);
    expect(Object.keys(pkg.exports)).toEqual(['.', './node', './package.json']);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@resprune/backbone-llava', '@resprune/backbone-qwen-vl', '@resprune/errors', '@resprune/node-files']);
  });
});
