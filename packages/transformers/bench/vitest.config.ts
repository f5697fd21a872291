import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { benchmark: { include: ['packages/transformers/bench/**/*.bench.ts'] }, testTimeout: 600_000 },
});
