import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { backendProjects } from '@resprune/test-backends/projects';

/**
 * One-process run of every test in the repo (`pnpm test:all`, and CI).
 * Vitest 4 ignores `projects` declared inside a referenced config, so packages whose own
 * config uses `backendProjects(...)` are expanded here, once per tfjs backend; every other
 * folder with a vitest.config.ts is referenced as a plain project.
 */
const folders = ['packages', 'apps', 'tooling'].flatMap((group) =>
  existsSync(group) ? readdirSync(group).map((name) => join(group, name)) : [],
);

const projects = folders
  .filter((dir) => existsSync(join(dir, 'vitest.config.ts')) && existsSync(join(dir, 'test')))
  .flatMap((dir): TestProjectConfiguration[] => {
    const config = readFileSync(join(dir, 'vitest.config.ts'), 'utf8');
    if (!config.includes('backendProjects(')) return [dir];
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
    return backendProjects(pkg.name, dir);
  });

export default defineConfig({
  test: {
    projects,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
