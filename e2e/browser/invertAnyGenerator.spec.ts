import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { serveWithUserModel } from '../browserServer';
import { expect, test } from './fixtures';

test('a user’s StyleGAN-style generator with no inversion graph: added, differentiated, inverted in colour', async ({ page }) => {
  test.setTimeout(120_000);
  const scratch = mkdtempSync(join(tmpdir(), 'e2e-invert-any-'));
  // A colour photo-like target: a smooth gradient with a bright disc.
  const size = 96;
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const disc = (x - 60) ** 2 + (y - 40) ** 2 < 400 ? 120 : 0;
      pixels.set([Math.min(255, 40 + 2 * x + disc), Math.min(255, 30 + y + disc), 200 - x], (y * size + x) * 3);
    }
  }
  const photo = join(scratch, 'sunset.png');
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toFile(photo);

  const server = await serveWithUserModel(page, 'stylegan-tiny');
  try {
    await expect(page.getByText('StyleGAN-style fixture (untrained)').first()).toBeVisible();
    // Its samples have a truncation control: ψ = 0 draws every sample as the average style.
    const card = page.getByTestId('model-stylegan-tiny');
    const tiles = card.getByTestId('samples').locator('canvas');
    await expect(tiles).toHaveCount(16);
    const tilePixels = (i: number) => tiles.nth(i).evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join());
    expect(await tilePixels(0)).not.toBe(await tilePixels(1));
    const truncation = card.getByLabel('Truncation');
    await truncation.focus();
    await page.keyboard.press('Home');
    await expect(card).toContainText('ψ 0.00');
    expect(await tilePixels(0)).toBe(await tilePixels(1));

    await page.goto(`${server.url}#invert`);
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'StyleGAN-style fixture (untrained)' });
    await expect(page.getByLabel('Encoder warm start')).toBeDisabled();
    // Fashion-MNIST is 28×28×1, but the bundled emoji split is 64×64×3: the view offers it for this model.
    await expect(page.getByRole('button', { name: 'Use dataset image' })).toBeVisible();
    await expect(page.getByTestId('dataset-mismatch')).toHaveCount(0);
    await page.locator('input[type=file]').setInputFiles(photo);
    await expect(page.getByRole('img', { name: 'Target · sunset.png' })).toBeVisible();
    // The 28×28×1 DCGAN cannot take this 64×64×3 target: it says so (Invert used to send it and show the shape error); back on the fixture, the target is there again.
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Fashion-MNIST DCGAN' });
    await expect(page.getByTestId('target-misfit')).toHaveText('The target picked before (sunset.png) is a 64×64×3 image and this model takes 28×28×1. ');
    await expect(page.getByRole('button', { name: 'Invert', exact: true })).toBeDisabled();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'StyleGAN-style fixture (untrained)' });
    await expect(page.getByRole('img', { name: 'Target · sunset.png' })).toBeVisible();
    await page.getByLabel('Steps').fill('80');
    await page.getByRole('button', { name: 'Invert', exact: true }).click();
    const result = page.getByTestId('inversion-result');
    await expect(result).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId('gradient-source')).toHaveText('gradients: differentiated generator');

    // G(z*) is drawn at the model's own size and in colour.
    const output = page.getByRole('img', { name: 'G(z*)' });
    expect(await output.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    const colourful = await output.evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let spread = 0;
      for (let i = 0; i < data.length; i += 4) spread = Math.max(spread, Math.abs(data[i]! - data[i + 1]!), Math.abs(data[i + 1]! - data[i + 2]!));
      return spread;
    });
    expect(colourful).toBeGreaterThan(20);

    // PSNR rises above where the random starts began (the best loss after the first step, Σ over 3·64·64 values in [-1, 1]).
    const curve = page.getByLabel('Loss curve').locator('xpath=self::*[name()="svg"]');
    const firstLoss = Number(await curve.getAttribute('data-first'));
    const startPsnr = 10 * Math.log10(1 / (firstLoss / (3 * 64 * 64) / 4));
    const psnr = Number((await page.getByTestId('psnr').textContent())!.match(/[\d.]+/)![0]);
    expect(psnr).toBeGreaterThan(startPsnr + 1);
    await page.screenshot({ path: 'test-results/screenshots/invert-any-generator.png' });

    // The same model in W+: the synthesis graph is differentiated, the search starts at w_avg, and it fits closer than z.
    await page.getByLabel('Space').selectOption('w+');
    // Its choice reads in full (it was cut to "w+ (10 × 6" once): the text, its padding and the arrow fit the box.
    const spaceFits = await page.getByLabel('Space').evaluate((select: HTMLSelectElement) => {
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = style.font;
      return context.measureText(select.selectedOptions[0]!.text).width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 20 <= select.clientWidth;
    });
    expect(spaceFits).toBe(true);
    await page.getByRole('button', { name: 'Invert', exact: true }).click();
    await expect(page.getByTestId('code-space')).toHaveText('code in w+ [10 × 64]', { timeout: 90_000 });
    const psnrWPlus = Number((await page.getByTestId('psnr').textContent())!.match(/[\d.]+/)![0]);
    expect(psnrWPlus).toBeGreaterThan(psnr);
    await result.getByRole('button', { name: 'Save to project' }).click();
    await expect(page.getByRole('region', { name: 'Saved inversions' })).toContainText('sunset.png');
    await page.screenshot({ path: 'test-results/screenshots/invert-w-plus.png' });

    // The w+ code is edited in w+: GANSpace's principal directions of mapped samples, and a slider that moves the picture.
    await result.getByRole('button', { name: 'Edit' }).click();
    await expect(page.getByLabel('Edit space')).toHaveValue('w+');
    await page.getByRole('tab', { name: 'Principal' }).click();
    await page.getByRole('button', { name: 'Add PC1–PC4' }).click();
    const pc1 = page.getByRole('slider', { name: 'w+ PC1' });
    await expect(pc1).toBeVisible();
    const after = page.getByRole('img', { name: 'After' });
    const pixels = () => after.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join());
    await expect.poll(pixels).not.toBe('');
    const before = await pixels();
    await pc1.focus();
    await page.keyboard.press('End');
    await expect(page.getByTestId('direction-w+ PC1').getByTestId('amount')).toHaveText('+4.00');
    await expect.poll(pixels).not.toBe(before);
    await page.screenshot({ path: 'test-results/screenshots/edit-w-plus.png' });

    // A random sample of this colour model fills the view.
    // (Its dataset images are the emoji split's, 64×64×3 like the model.)
    await expect(page.getByLabel('Dataset image number')).toBeVisible();
    await expect(page.getByTestId('dataset-mismatch')).toHaveCount(0);
    await page.getByRole('button', { name: 'Random sample' }).click();
    await expect(page.getByLabel('Edit space')).toHaveValue('z');
    await expect(after).toBeVisible();
    expect(await after.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    const shown = (await after.boundingBox())!;
    expect(shown.width).toBeGreaterThan(150);
    expect(shown.x + shown.width).toBeLessThanOrEqual(page.viewportSize()!.width);
    // The bundled emoji classifier takes 64×64×3 images, so it reads this one (its ten likeliest of 36 pairs), not the 28×28×1 one.
    await expect(page.getByTestId('no-classifier')).toHaveCount(0);
    await expect(page.getByTestId('class-probabilities').locator('li[data-class]')).toHaveCount(10);
    await expect(page.getByTestId('class-probabilities')).toContainText('and 26 less likely classes');
  } finally {
    server.stop();
  }
});
