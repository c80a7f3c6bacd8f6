import { defineConfig } from 'vitest/config';

/** `npm run bench`: measurements, not tests; each file writes a part of the report. */
export default defineConfig({
  test: {
    include: ['tests/bench/**/*.perf.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
