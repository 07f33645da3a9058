import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts', 'test/unit-setup/*.test.ts'],
    // Fails any synchronous tensor read from the project's own code (see the file).
    setupFiles: ['test/unit-setup/no-sync-reads.ts'],
    environment: 'node',
    // tfjs backends are process-global; files run in separate forks so they do not share one.
    pool: 'forks',
    // Names the file and test a dying test process was in (Vitest says only that it died).
    reporters: ['default', './test/unit-setup/unfinished-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
