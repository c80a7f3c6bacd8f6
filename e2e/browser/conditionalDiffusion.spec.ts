import type { Locator } from '@playwright/test';
import { serveWithUserModel } from '../browserServer';
import { expect, test } from './fixtures';

const pixels = (tile: Locator) => tile.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));

test('a user’s class-conditional v-prediction denoiser: choose a class, and guidance changes the colour sample', async ({ page }) => {
  const server = await serveWithUserModel(page, 'cond-denoiser-tiny');
  try {
    await expect(page.getByText('Class-conditional v-prediction fixture (untrained)').first()).toBeVisible();

    await page.getByRole('tab', { name: 'Diffuse' }).click();
    await page.getByLabel('Diffusion model').selectOption({ label: 'Class-conditional v-prediction fixture (untrained)' });
    const classes = page.getByLabel('Class');
    await expect(classes.locator('option')).toHaveText(['none (unconditional)', 'red', 'green', 'blue', 'yellow']);
    // A conditional model starts on its first class, guided at its manifest's scale: what it draws best.
    await expect(classes.locator('option:checked')).toHaveText('red');
    await expect(page.getByLabel('Guidance')).toHaveValue('3');
    await expect(page.getByLabel('Guidance')).toBeEnabled();
    // "none" is a choice of its own: it stays chosen through a run, and the run is unconditional.
    await classes.selectOption({ label: 'none (unconditional)' });
    await expect(page.getByLabel('Guidance')).toBeDisabled();
    await page.getByLabel('Steps').fill('10');
    await page.getByLabel('Batch').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('region', { name: 'Saved runs' })).toContainText('DDIM 10 steps · seed 0', { timeout: 60_000 });
    await expect(page.getByRole('region', { name: 'Saved runs' })).not.toContainText('guidance');
    await expect(classes.locator('option:checked')).toHaveText('none (unconditional)');
    await classes.selectOption({ label: 'blue' });
    await expect(page.getByLabel('Guidance')).toHaveValue('3');
    await page.getByLabel('Guidance').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 10 / 10', { timeout: 60_000 });
    const sample = page.getByRole('img', { name: 'x_t #1' });
    // A colour image at the model's 16×16, shown enlarged.
    expect(await sample.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([16, 16]);
    const gentle = await pixels(sample);
    const channelsDiffer = gentle.some((v, i) => i % 4 === 0 && (v !== gentle[i + 1] || v !== gentle[i + 2]));
    expect(channelsDiffer, 'colour, not grey').toBe(true);

    await page.getByLabel('Guidance').fill('6');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(async () => (await pixels(sample)).join()).not.toBe(gentle.join());
    await expect(page.getByRole('region', { name: 'Saved runs' })).toContainText('blue · guidance 6');
    await page.screenshot({ path: 'test-results/screenshots/diffuse-conditional.png' });
    // A saved run sampled again brings its class back into the fields, none included.
    const saved = page.getByRole('region', { name: 'Saved runs' }).getByRole('button');
    await saved.filter({ hasText: 'DDIM 10 steps · seed 0' }).filter({ hasNotText: 'guidance' }).click();
    await expect(classes.locator('option:checked')).toHaveText('none (unconditional)');
    await expect(page.getByLabel('Guidance')).toBeDisabled();
    await saved.filter({ hasText: 'blue · guidance 1' }).click();
    await expect(classes.locator('option:checked')).toHaveText('blue');
    await expect(page.getByLabel('Guidance')).toHaveValue('1');

    // No dataset holds 16×16 colour images: image-to-image says what to do instead of offering one.
    // The tab keeps the model chosen in Generate: the view has one model choice.
    await page.getByRole('tab', { name: 'Image to image' }).click();
    await expect(page.getByLabel('Diffusion model').locator('option:checked')).toHaveText('Class-conditional v-prediction fixture (untrained)');
    await expect(page.getByTestId('dataset-mismatch')).toContainText('No dataset holds 16×16×3 images');
    await expect(page.getByRole('button', { name: 'Use dataset image' })).toHaveCount(0);
  } finally {
    server.stop();
  }
});
