import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

test('invert a dataset image: a falling loss curve, PSNR at least the encoder’s, then edit the code', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#invert`);
  // The one bundled GAN is named as the model the image goes into.
  await expect(page.getByRole('combobox', { name: 'Model' }).locator('option:checked')).toHaveText('Fashion-MNIST DCGAN');
  await page.getByLabel('Dataset image number').fill('12');
  await page.getByRole('button', { name: 'Use dataset image' }).click();
  await expect(page.getByRole('img', { name: 'Target · dataset #12' })).toBeVisible();
  await page.getByRole('button', { name: 'Invert', exact: true }).click();
  // Another view and back: the number beside the target is still the target's.
  await page.getByRole('tab', { name: 'Models' }).click();
  await page.getByRole('tab', { name: 'Invert' }).click();
  await expect(page.getByLabel('Dataset image number')).toHaveValue('12');
  const result = page.getByTestId('inversion-result');
  await expect(result).toBeVisible({ timeout: 60_000 });
  const curve = page.getByLabel('Loss curve').locator('xpath=self::*[name()="svg"]');
  const first = Number(await curve.getAttribute('data-first'));
  const last = Number(await curve.getAttribute('data-last'));
  expect(Number(await curve.getAttribute('data-points'))).toBeGreaterThan(50);
  expect(last).toBeLessThan(first);
  const psnr = Number((await page.getByTestId('psnr').textContent())!.match(/[\d.]+/)![0]);
  const encoder = Number((await page.getByTestId('encoder-psnr').textContent())!.match(/[\d.]+/)![0]);
  expect(psnr).toBeGreaterThanOrEqual(encoder);
  await page.screenshot({ path: 'test-results/screenshots/invert.png' });

  // G(z*) exports at the chosen scale with its code embedded; Edit restores it with the target as its original.
  await page.getByLabel('Export scale').selectOption({ label: '1× · 28×28 px' });
  const download = page.waitForEvent('download');
  await result.getByRole('button', { name: 'Export PNG' }).click();
  const png = readFileSync(await (await download).path());
  expect(await sharp(png).metadata()).toMatchObject({ width: 28, height: 28 });

  await result.getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByRole('tab', { name: 'Edit' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('edit-base')).toContainText('inverted dataset #12');
  await expect(page.getByRole('img', { name: 'After' })).toBeVisible();
  await page.getByTestId('image-file').setInputFiles({ name: 'inverted.png', mimeType: 'image/png', buffer: png });
  await expect(page.getByTestId('edit-base')).toHaveText('inverted.png (restored edit)');
  await expect(page.getByRole('img', { name: 'Original input' })).toBeVisible();
});
