import type { TestProjectInlineConfiguration } from 'vitest/config';
import { BACKENDS, type BackendName } from './index.js';

/** Backends to run, from TF_BACKENDS (comma list); the default is the set that installs everywhere. */
export function selectedBackends(env: NodeJS.ProcessEnv = process.env): BackendName[] {
  const raw = env['TF_BACKENDS']?.split(',').map((s) => s.trim()).filter(Boolean);
  return (raw ?? ['cpu', 'wasm']).filter((b): b is BackendName => (BACKENDS as readonly string[]).includes(b));
}

/** One Vitest project per tfjs backend. Leave out `root` when calling from the package's own config. */
export function backendProjects(
  name: string,
  root?: string,
  backends = selectedBackends(),
  extra: { testTimeout?: number } = {},
): TestProjectInlineConfiguration[] {
  return backends.map((backend) => ({
    extends: true,
    test: {
      name: `${name}:${backend}`,
      ...(root === undefined ? {} : { root }),
      include: ['test/**/*.test.ts'],
      setupFiles: ['@resprune/test-backends/setup'],
      provide: { tfBackend: backend },
      ...(extra.testTimeout === undefined ? {} : { testTimeout: extra.testTimeout }),
    },
  }));
}
