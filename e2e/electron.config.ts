import { defineConfig } from '@playwright/test';

/** The desktop shell, driven through Playwright's Electron support where the binary exists. */
export default defineConfig({
  testDir: './electron',
  outputDir: '../test-results/e2e-electron',
  timeout: 60_000,
  workers: 1,
});
