import { expect, test } from './fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchServer } from '../browserServer';

test('work autosaved by a session that did not end cleanly is offered back, with a warning for a model changed since', async ({ page }) => {
  // The autosave of a crashed session, written when fmnist-vae had other bytes.
  const configDir = mkdtempSync(join(tmpdir(), 'e2e-recovery-'));
  const file = JSON.parse(readFileSync('tests/fixtures/projects/format-1.lsproj', 'utf8'));
  file.project = { ...file.project, format: 2, name: 'Crashed boots', models: { 'fmnist-vae': { sha256: '0'.repeat(64) } } };
  writeFileSync(join(configDir, 'autosave.lsproj'), JSON.stringify(file));
  const server = await launchServer(configDir);
  try {
    await page.goto(`${server.url}#edit`);
    const dialog = page.getByRole('alertdialog', { name: 'Recover unsaved work' });
    await expect(dialog).toContainText('“Crashed boots”');
    await dialog.getByRole('button', { name: 'Recover' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByTestId('project-name')).toHaveText('Crashed boots •');
    await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +2.50');
    const warning = page.getByRole('alert', { name: 'Project warnings' });
    await expect(warning).toContainText('Model "fmnist-vae" has changed since this project was saved');
    await warning.getByRole('button', { name: 'OK' }).click();
    await expect(warning).toHaveCount(0);
  } finally {
    server.stop();
  }
});
