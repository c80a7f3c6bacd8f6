import { serveWithUserModel } from '../browserServer';
import { expect, test } from './fixtures';

test('a colour VAE with a spatial latent [4, 8, 8]: its samples stay in their card and Edit shows the picture at full size', async ({ page }) => {
  const server = await serveWithUserModel(page, 'vae-spatial-tiny');
  try {
    const card = page.getByTestId('model-vae-spatial-tiny');
    await expect(card).toContainText('[4, 8, 8]');
    const tiles = card.getByTestId('samples').locator('canvas');
    await expect(tiles).toHaveCount(16);
    const [grid, box] = [(await card.getByTestId('samples').boundingBox())!, (await card.boundingBox())!];
    expect(grid.x + grid.width).toBeLessThanOrEqual(box.x + box.width);

    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Spatial-latent VAE fixture (untrained)' });
    await page.getByRole('button', { name: 'Random sample' }).click();
    const after = page.getByRole('img', { name: 'After' });
    await expect(after).toBeVisible();
    expect(await after.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screenshots/edit-spatial-latent.png' });
  } finally {
    server.stop();
  }
});
