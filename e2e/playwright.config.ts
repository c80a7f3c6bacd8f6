import { defineConfig } from '@playwright/test';

/** Browser mode in Debian's chromium; Playwright never downloads a browser. */
export default defineConfig({
  testDir: './browser',
  outputDir: '../test-results/e2e-browser',
  globalSetup: './browserServer.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        // WebGL through SwiftShader, so the 3D views render without a GPU.
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    },
  },
});
