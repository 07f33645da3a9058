import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts'],
    environment: 'node',
    // tfjs backends are process-global; files run in separate forks so they do not share one.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
