import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchServer } from '../browserServer';
import { expect, test } from './fixtures';

test('PCA as a model: made from the dataset in the Models view, then explored, sampled and edited like the others', async ({ page }) => {
  const server = await launchServer(mkdtempSync(join(tmpdir(), 'e2e-pca-')));
  try {
    await page.goto(`${server.url}#models`);
    await page.getByLabel('Components').fill('8');
    await page.getByRole('button', { name: 'Make PCA model' }).click();
    await expect(page.getByTestId('pca-made')).toContainText(/Added “PCA, 8 components”: it explains \d+\.\d% of the pixel variance and reconstructs the dataset at \d+\.\d dB\./, { timeout: 60_000 });
    const card = page.getByTestId('model-pca-8');
    await expect(card).toContainText('autoencoder');
    await expect(card.getByTestId('samples').locator('canvas')).toHaveCount(16);

    await page.getByRole('tab', { name: 'Explore' }).click();
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'PCA, 8 components' });
    await expect(page.getByText(/10000 points/)).toBeVisible({ timeout: 60_000 });
    await expect(page.getByLabel('x axis')).toContainText('PC1');

    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'PCA, 8 components' });
    await page.getByLabel('Dataset image number').fill('9');
    await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
    await expect(page.getByRole('img', { name: 'After' })).toBeVisible();
  } finally {
    server.stop();
  }
});
