import { defineProject } from 'vitest/config';

// A plain project (not one per tfjs backend): the e2e test drives a real browser against the built
// page, whose own workers choose their backends.
export default defineProject({
  test: {
    name: '@resprune/example-web',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
