import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';
import { parseDatasetSample } from '../../electron/engine/dataset/sample';

const dataset = parseDatasetSample(readFileSync('resources/dataset/fashion-mnist-t10k.lsds.gz'));
const sneaker = dataset.labels.indexOf(7);
const probability = async (readout: Locator, label: string) => Number(await readout.locator(`li[data-class="${label}"]`).getAttribute('data-probability'));

test("a gradient direction at the edited image: the classifier's gradient through the decoder makes it more of a class", async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#edit`);
  await page.getByLabel('Dataset image number').fill(String(sneaker));
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await expect(page.getByTestId('edit-base')).toHaveText(`dataset #${sneaker} · Sneaker`);

  await page.getByRole('tab', { name: 'Gradient' }).click();
  await page.getByLabel('Gradient class').selectOption({ label: 'Ankle boot' });
  await page.getByRole('button', { name: 'Add direction here' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added “more Ankle boot (gradient)”' })).toContainText(/P\(Ankle boot\) is [\d.]+% here and its log rises [\d.]+ per step/);
  const slider = page.getByRole('slider', { name: 'more Ankle boot (gradient)' });
  await expect(slider).toBeVisible();

  const readout = page.getByTestId('class-probabilities');
  await expect(readout.locator('li[data-class="Ankle boot"]')).toBeVisible();
  const atZero = await probability(readout, 'Ankle boot');
  await slider.focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('direction-more Ankle boot (gradient)').getByTestId('amount')).toHaveText('+4.00');
  await expect.poll(() => probability(readout, 'Ankle boot')).toBeGreaterThan(atZero);
  await page.screenshot({ path: 'test-results/screenshots/gradient-edit.png' });
});

test('inversion with a perceptual term differentiates the generator together with the classifier', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#invert`);
  await page.getByLabel('Dataset image number').fill('12');
  await page.getByRole('button', { name: 'Use dataset image' }).click();
  await page.getByLabel('Steps').fill('60');
  await page.getByLabel('Perceptual λ').fill('1');
  await page.getByRole('button', { name: 'Invert', exact: true }).click();
  const result = page.getByTestId('inversion-result');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('gradient-source')).toHaveText('gradients: differentiated generator');
  const curve = page.getByLabel('Loss curve').locator('xpath=self::*[name()="svg"]');
  expect(Number(await curve.getAttribute('data-last'))).toBeLessThan(Number(await curve.getAttribute('data-first')));
  const psnr = Number((await page.getByTestId('psnr').textContent())!.match(/[\d.]+/)![0]);
  const encoder = Number((await page.getByTestId('encoder-psnr').textContent())!.match(/[\d.]+/)![0]);
  expect(psnr).toBeGreaterThanOrEqual(encoder);
});
