import { defineConfig } from 'vitest/config';
import { backendProjects } from '@resprune/test-backends/projects';
import pkg from './package.json' with { type: 'json' };

export default defineConfig({ test: { projects: backendProjects(pkg.name), testTimeout: 120_000, hookTimeout: 120_000 } });
