import { defineProject } from 'vitest/config';
import pkg from './package.json' with { type: 'json' };

// Plain project: these tests choose backends themselves, so they do not run under the per-backend setup.
export default defineProject({ test: { name: pkg.name, include: ['test/**/*.test.ts'], testTimeout: 60_000 } });
