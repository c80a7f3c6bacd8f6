import { _electron as electron, expect, test } from '@playwright/test';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function electronPath(): string | undefined {
  try {
    return require('electron') as string;
  } catch {
    return undefined;
  }
}

test('the desktop app opens hardened, reaches the engine over IPC and shows every view', async () => {
  const executablePath = electronPath();
  test.skip(!executablePath, 'Electron binary not installed on this machine');
  const app = await electron.launch({ executablePath, args: ['.'] });
  const page = await app.firstWindow();
  await expect(page.getByTestId('provider')).toContainText(/Runtime: (CPU|CUDA|DML)/);
  // No Node in the renderer, only the named bridge.
  expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  expect(await page.evaluate(() => typeof (window as unknown as { studio: { calls: Record<string, unknown> } }).studio.calls['app.info'])).toBe('function');
  expect(await page.evaluate(() => window.location.protocol)).toBe('app:');
  for (const view of ['Explore', 'Interpolate', 'Edit', 'Invert', 'Diffuse', 'Models']) {
    await page.getByRole('tab', { name: view }).click();
    await expect(page.getByRole('tab', { name: view })).toHaveAttribute('aria-selected', 'true');
  }
  await app.close();
});
