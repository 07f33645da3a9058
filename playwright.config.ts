import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the workbench. Where Electron's binary exists they launch the real app
 * (test/e2e/fixtures.ts decides); here they drive Debian's Chromium against the browser host.
 */
export default defineConfig({
  testDir: 'test/e2e',
  // Builds main, preload and renderer first, so the tests never drive a stale bundle.
  globalSetup: './test/e2e/global-setup.ts',
  timeout: 240_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
});
