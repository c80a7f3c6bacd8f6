import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the electron package put its binary, without triggering its download (see scripts/electron-binary.mjs). */
function electronPath(): string | undefined {
  const root = join(process.cwd(), 'node_modules', 'electron');
  const pathFile = join(root, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const path = join(root, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? path : undefined;
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
