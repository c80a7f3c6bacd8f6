import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import sharp from 'sharp';

/** Mean absolute difference between a canvas's red and blue channels: 0 for grey pictures. */
async function colourfulness(tile: Locator): Promise<number> {
  return tile.evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += Math.abs(data[i]! - data[i + 2]!);
    return sum / (data.length / 4);
  });
}

test('the bundled emoji VAE shows colour reconstructions of the emoji split in its card, since its latent has no prior to sample', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#models`);
  const card = page.getByTestId('model-emoji-vae');
  await expect(card).toContainText('[4, 16, 16]');
  await expect(card).toContainText('no prior to sample from');
  await expect(card.getByTestId('samples')).toHaveCount(0);
  const tiles = card.getByTestId('reconstructions-emoji-vae').locator('canvas');
  await expect(tiles).toHaveCount(16, { timeout: 30_000 });
  const psnr = Number((await card.getByTestId('reconstruction-psnr').textContent())!.match(/([\d.]+) dB/)![1]);
  expect(psnr).toBeGreaterThan(26);
  expect(await colourfulness(tiles.nth(8))).toBeGreaterThan(10);
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: 'test-results/screenshots/models-emoji-vae.png' });
});

test('emoji in the VAE: explore by design system, a Noto → Twemoji direction from labels, and an interpolation between two emoji', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#explore`);
  await page.getByLabel('Model', { exact: true }).selectOption({ label: 'Emoji VAE' });
  await expect(page.getByRole('combobox', { name: 'Dataset' }).or(page.getByTestId('dataset-name'))).toContainText('Emoji in four design systems');
  await expect(page.getByText(/754 points/)).toBeVisible({ timeout: 60_000 });
  const legend = page.getByRole('region', { name: 'Classes' });
  for (const system of ['Noto', 'Twemoji', 'OpenMoji', 'Fluent']) await expect(legend.getByRole('button', { name: system, exact: true })).toBeVisible();
  await page.waitForTimeout(500);
  await page.screenshot({ path: 'test-results/screenshots/explore-emoji-vae.png' });

  // Edit: the first emoji of the split, moved from Noto's look towards Twemoji's.
  await page.getByRole('tab', { name: 'Edit' }).click();
  await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Emoji VAE' });
  await expect(page.getByRole('button', { name: 'Random sample' })).toBeDisabled();
  await page.getByLabel('Dataset image number').fill('0');
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await expect(page.getByTestId('edit-base')).toContainText('#0');
  await page.getByRole('tab', { name: 'Classes' }).click();
  await page.getByLabel('From class').selectOption({ label: 'Noto' });
  await page.getByLabel('To class').selectOption({ label: 'Twemoji' });
  await page.getByRole('button', { name: 'Add direction' }).click();
  const slider = page.getByRole('slider', { name: 'Noto → Twemoji' });
  await expect(slider).toBeVisible({ timeout: 30_000 });
  const after = page.getByRole('img', { name: 'After' });
  await expect(after).toBeVisible();
  expect(await after.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
  const before = await after.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, 64, 64).data));
  // The bundled emoji classifier reads the picture: a Noto smiley first, Twemoji's once the direction is applied
  // (three steps of the mean difference: averaged over emoji of every shape, one step moves the style only part way).
  const likeliest = page.getByTestId('class-probabilities').locator('li[data-class]').first();
  await expect(likeliest).toHaveAttribute('data-class', 'Noto · Smileys & Emotion');
  await slider.fill('3');
  await expect(page.getByTestId('direction-Noto → Twemoji').getByTestId('amount')).toHaveText('+3.00');
  // The picture changes with the slider and stays a colour image.
  await expect
    .poll(async () => {
      const now = await after.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, 64, 64).data));
      return now.reduce((sum, v, i) => sum + Math.abs(v - before[i]!), 0) / now.length;
    })
    .toBeGreaterThan(2);
  expect(await colourfulness(after)).toBeGreaterThan(10);
  await expect(likeliest).toHaveAttribute('data-class', 'Twemoji · Smileys & Emotion');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screenshots/edit-emoji-vae.png' });

  // Category directions: the same tab over the split's other labels.
  await page.getByLabel('Labels').selectOption({ label: 'category (9)' });
  await page.getByLabel('From class').selectOption({ label: 'Smileys & Emotion' });
  await page.getByLabel('To class').selectOption({ label: 'Food & Drink' });
  await page.getByRole('button', { name: 'Add direction' }).click();
  await expect(page.getByRole('slider', { name: 'Smileys & Emotion → Food & Drink' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('status').filter({ hasText: 'Added “Smileys & Emotion → Food & Drink”' })).toBeVisible();

  // Interpolate between two emoji of the split: the strip's ends are the keyframes' decodes.
  await page.getByRole('tab', { name: 'Interpolate' }).click();
  await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Emoji VAE' });
  await expect(page.getByRole('button', { name: 'Add random sample' })).toHaveCount(0);
  for (const index of ['3', '400']) {
    await page.getByLabel('Dataset image number').fill(index);
    await page.getByRole('button', { name: 'Add dataset image' }).click();
  }
  const keyframes = page.getByTestId('keyframe');
  await expect(keyframes).toHaveCount(2);
  const strip = page.getByTestId('strip').locator('canvas');
  await expect(strip).toHaveCount(10, { timeout: 30_000 });
  const decodedB = keyframes.nth(1).getByRole('img', { name: 'decoded' });
  await expect(decodedB).toBeVisible();
  const pixels = (tile: Locator) => tile.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));
  expect(await pixels(strip.last())).toEqual(await pixels(decodedB));
  expect(await colourfulness(strip.nth(5))).toBeGreaterThan(10);
  await page.screenshot({ path: 'test-results/screenshots/interpolate-emoji-vae.png', fullPage: true });
});

test('the emoji DiT: ask for a design system and a category, play back x_t and x̂₀ in colour at 64 px, and guidance changes the picture', async ({ page }) => {
  // Its card in Models leads to Diffuse with it chosen.
  await page.goto(`${process.env.STUDIO_URL}#models`);
  await page.getByTestId('model-emoji-dit').getByRole('button', { name: 'Sample in Diffuse' }).click();
  await expect(page.getByLabel('Diffusion model').locator('option:checked')).toHaveText('Emoji DiT');
  const classes = page.getByLabel('Class');
  // None, then the 4 design systems × 9 categories, named from the manifest.
  await expect(classes.locator('option')).toHaveCount(37);
  // It starts on its first class at its own guidance, not on its weaker unconditional mode.
  await expect(classes.locator('option:checked')).toHaveText('Noto · Smileys & Emotion');
  await expect(page.getByLabel('Guidance')).toHaveValue('7');
  await page.getByLabel('Steps').fill('25');
  await page.getByLabel('Batch').fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('position')).toHaveText('step 25 / 25', { timeout: 60_000 });
  await expect.poll(() => page.getByRole('img', { name: 'predicted x₀' }).first().evaluate((c: HTMLCanvasElement) => c.width)).toBe(64);
  await page.screenshot({ path: 'test-results/screenshots/diffuse-emoji-dit-final.png' });
  await expect(page.getByTestId('run-summary')).toHaveText(/^Emoji DiT: 25 steps at batch 2 in [\d.]+ s$/);
  const sample = page.getByRole('img', { name: 'x_t #1' });
  // Decoded by emoji-vae from the [4, 16, 16] latent to a 64×64 colour picture.
  expect(await sample.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
  expect(await colourfulness(sample)).toBeGreaterThan(10);
  const guided = await sample.evaluate((c: HTMLCanvasElement) => c.toDataURL());

  // Halfway, the picture is still noisy while the model's prediction of the clean image is already an emoji.
  await page.getByRole('slider', { name: 'Step' }).fill('12');
  await expect(page.getByTestId('position')).toHaveText('step 12 / 25');
  const predicted = page.getByRole('img', { name: 'predicted x₀' }).first();
  // Every step is kept decoded at 64×64 (25 steps at batch 2 decode in well under a second), so no 16×16 latent preview shows.
  await expect.poll(() => predicted.evaluate((c: HTMLCanvasElement) => c.width)).toBe(64);
  expect(await colourfulness(predicted)).toBeGreaterThan(10);
  await page.screenshot({ path: 'test-results/screenshots/diffuse-emoji-dit.png', fullPage: true });

  await page.getByLabel('Guidance').fill('1');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('region', { name: 'Saved runs' })).toContainText('Noto · Smileys & Emotion · guidance 1');
  await expect(page.getByTestId('position')).toHaveText('step 25 / 25', { timeout: 60_000 });
  await expect.poll(() => sample.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(guided);
});

/** A user's own drawing: a smiley sketched in flat colours on white, larger than the model's 64 px. */
function smileyDrawing(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">
    <rect width="240" height="240" fill="#fff"/>
    <circle cx="120" cy="120" r="96" fill="#ffcc22" stroke="#222" stroke-width="8"/>
    <ellipse cx="86" cy="96" rx="12" ry="20" fill="#222"/><ellipse cx="154" cy="96" rx="12" ry="20" fill="#222"/>
    <path d="M70 146 Q120 196 170 146" fill="none" stroke="#222" stroke-width="10" stroke-linecap="round"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

test('the emoji DiT turns an imported drawing into emoji: little noise keeps the drawing, more lets the design system asked for redraw it', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#diffuse`);
  await page.getByRole('tab', { name: 'Image to image' }).click();
  await page.getByLabel('Diffusion model').selectOption({ label: 'Emoji DiT' });
  await page.getByTestId('image-file').setInputFiles({ name: 'smiley-drawing.png', mimeType: 'image/png', buffer: await smileyDrawing() });
  const input = page.getByRole('img', { name: 'input · smiley-drawing.png' });
  await expect(input).toBeVisible();
  // Imported at the model's size.
  expect(await input.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
  await page.getByLabel('Class').selectOption({ label: 'Twemoji · Smileys & Emotion' });
  await page.getByRole('button', { name: 'Noise and denoise at 6 levels' }).click();
  const strip = page.getByTestId('img2img-strip').getByRole('img');
  await expect(strip).toHaveCount(6, { timeout: 90_000 });
  await expect(page.getByRole('img', { name: 't₀ = 100' })).toBeVisible();

  const rgb = (tile: Locator) => tile.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 !== 3));
  const drawing = await rgb(input);
  const distance = async (tile: Locator) => {
    const pixels = await rgb(tile);
    expect(pixels).toHaveLength(drawing.length);
    return pixels.reduce((sum, v, i) => sum + Math.abs(v - drawing[i]!), 0) / pixels.length;
  };
  const distances = [];
  for (let i = 0; i < 6; i++) distances.push(await distance(strip.nth(i)));
  // At t₀ = 100 the drawing comes back through the VAE nearly as drawn; at t₀ = 850 the model has redrawn it.
  expect(distances[0]).toBeLessThan(20);
  expect(distances[5]).toBeGreaterThan(distances[0]! * 1.5);
  for (let i = 0; i < 6; i++) expect(await colourfulness(strip.nth(i))).toBeGreaterThan(10);
  await page.screenshot({ path: 'test-results/screenshots/diffuse-emoji-img2img.png', fullPage: true });

  // Another design system asked for redraws the noisiest level differently; the least noisy stays the drawing.
  const noisiest = await rgb(strip.nth(5));
  await page.getByLabel('Class').selectOption({ label: 'OpenMoji · Smileys & Emotion' });
  const run = page.getByRole('button', { name: 'Noise and denoise at 6 levels' });
  await run.click();
  await expect(strip).toHaveCount(6, { timeout: 90_000 });
  await expect(run).toBeEnabled();
  expect(await rgb(strip.nth(5))).not.toEqual(noisiest);
  expect(await distance(strip.nth(0))).toBeLessThan(20);
});
