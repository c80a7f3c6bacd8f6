import { serveWithUserModel } from '../browserServer';
import { expect, test } from './fixtures';

test('Interpolate walks between samples of a GAN that has no encoder, in colour at its own size', async ({ page }) => {
  const server = await serveWithUserModel(page, 'stylegan-tiny');
  // No call fails on the way, not even one the page would not show (a keyframe's code decoded by another model).
  const consoleErrors: string[] = [];
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
  try {
    await page.getByRole('tab', { name: 'Interpolate' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'StyleGAN-style fixture (untrained)' });
    await expect(page.getByTestId('keyframe-sources')).toHaveText('This model has no encoder, so images cannot become keyframes: add samples from its prior or saved inversions.');
    // Two clicks in a row, the second while the first sample is still decoding: both are kept, with seeds 1 and 2
    // (each click used to append to the keyframes it saw, so with a 256 px generator the second replaced the first).
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await expect(page.getByTestId('keyframe')).toHaveCount(2);
    await expect(page.getByRole('img', { name: 'sample · seed 1' })).toBeVisible();
    await expect(page.getByRole('img', { name: 'sample · seed 2' })).toBeVisible();
    const frames = page.getByTestId('strip').getByRole('img');
    await expect(frames).toHaveCount(10, { timeout: 30_000 });
    expect(await frames.first().evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    const pixels = (i: number) => frames.nth(i).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join());
    expect(await pixels(0)).not.toBe(await pixels(9));
    // A sample's picture is its decoded code already: not shown a second time under it.
    await expect(page.getByTestId('keyframe').getByRole('img', { name: 'decoded' })).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screenshots/interpolate-gan.png' });

    // The same keyframes in W: mapped to w and interpolated there. The ends are the same pictures; the way between is not.
    const inZ = { first: await pixels(0), middle: await pixels(5), last: await pixels(9) };
    await page.getByLabel('Interpolation space').selectOption('w');
    await expect.poll(() => pixels(5)).not.toBe(inZ.middle);
    await expect(frames).toHaveCount(10);
    // Moved on to w, each keyframe shows what its w decodes to.
    await expect(page.getByTestId('keyframe').getByRole('img', { name: 'decoded' })).toHaveCount(2);
    const close = async (i: number, other: string) => {
      const a = (await pixels(i)).split(',').map(Number);
      const b = other.split(',').map(Number);
      return Math.max(...a.map((v, k) => Math.abs(v - b[k]!)));
    };
    // z and its w decode to the same image, up to float rounding in the two graph paths.
    expect(await close(0, inZ.first)).toBeLessThanOrEqual(2);
    expect(await close(9, inZ.last)).toBeLessThanOrEqual(2);

    // Another model: the GAN's samples are codes of its own, so they are skipped with a line saying why and kept for
    // coming back (before, they were sent to the VAE and the view showed its shape error beside the GAN's old strip).
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Fashion-MNIST VAE' });
    await expect(page.getByTestId('keyframe-misfit')).toHaveText(Array(2).fill('Not used: a code of StyleGAN-style fixture (untrained)'));
    await expect(page.getByTestId('too-few-keyframes')).toContainText('Fashion-MNIST VAE can use none of these keyframes');
    await expect(frames).toHaveCount(0);
    // The models that can use them are offered (the GAN, and the Emoji VAE, which encodes 64×64×3 images as the samples are).
    await page.getByTestId('too-few-keyframes').getByRole('button', { name: 'StyleGAN-style fixture (untrained)' }).click();
    await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue('stylegan-tiny');
    await expect(frames).toHaveCount(10);
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Fashion-MNIST VAE' });
    for (const index of ['3', '9']) {
      await page.getByLabel('Dataset image number').fill(index);
      await page.getByRole('button', { name: 'Add dataset image' }).click();
    }
    await expect(frames).toHaveCount(10, { timeout: 30_000 });
    expect(await frames.first().evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([28, 28]);
    await expect(page.getByRole('alert')).toHaveCount(0);
    // Back to the GAN: its samples interpolate again, and the Fashion-MNIST images are the ones set aside.
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'StyleGAN-style fixture (untrained)' });
    await expect(page.getByTestId('keyframe-misfit')).toHaveText(Array(2).fill('Not used: StyleGAN-style fixture (untrained) has no encoder for dataset images'));
    await expect.poll(() => frames.first().evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(consoleErrors).toEqual([]);
  } finally {
    server.stop();
  }
});
