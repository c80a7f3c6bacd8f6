import { serveWithUserModel } from '../browserServer';
import { expect, test } from './fixtures';

test('Interpolate walks between samples of a GAN that has no encoder, in colour at its own size', async ({ page }) => {
  const server = await serveWithUserModel(page, 'stylegan-tiny');
  try {
    await page.getByRole('tab', { name: 'Interpolate' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'StyleGAN-style fixture (untrained)' });
    await expect(page.getByTestId('keyframe-sources')).toHaveText('This model has no encoder, so images cannot become keyframes: add samples from its prior or saved inversions.');
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await expect(page.getByTestId('keyframe')).toHaveCount(1);
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await expect(page.getByTestId('keyframe')).toHaveCount(2);
    await expect(page.getByRole('img', { name: 'sample · seed 2' })).toBeVisible();
    const frames = page.getByTestId('strip').getByRole('img');
    await expect(frames).toHaveCount(10, { timeout: 30_000 });
    expect(await frames.first().evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    const pixels = (i: number) => frames.nth(i).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join());
    expect(await pixels(0)).not.toBe(await pixels(9));
    await page.screenshot({ path: 'test-results/screenshots/interpolate-gan.png' });
  } finally {
    server.stop();
  }
});
