import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const pixels = (tile: Locator) => tile.evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));

test('generate 4 samples with DDIM 50, scrub the steps, branch at step 25, export a GIF', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#diffuse`);
  const intro = page.getByRole('heading', { name: 'Sample from noise, step by step' });
  await expect(intro).toBeVisible();
  await page.getByLabel('Steps').fill('50');
  await page.getByLabel('Batch').fill('4');
  await page.getByRole('button', { name: 'Generate' }).click();
  const scrubber = page.getByRole('slider', { name: 'Step' });
  await expect(scrubber).toBeVisible({ timeout: 60_000 });
  await expect(scrubber).toHaveAttribute('max', '50');
  await expect(intro).toHaveCount(0);
  await expect(page.getByTestId('samples-grid').getByRole('img', { name: /^x_t #/ })).toHaveCount(4);
  await expect(page.getByTestId('run-summary')).toHaveText(/^Fashion-MNIST latent diffusion: 50 steps at batch 4 in [\d.]+ s$/);

  const first = page.getByRole('img', { name: 'x_t #1' });
  await scrubber.fill('50');
  await expect(page.getByTestId('position')).toHaveText('step 50 / 50');
  const end = await pixels(first);
  await scrubber.fill('0');
  await expect(page.getByTestId('position')).toHaveText('step 0 / 50');
  await expect(page.getByTestId('noise-level')).toContainText('next t = 999');
  expect(await pixels(first)).not.toEqual(end);

  await scrubber.fill('25');
  await page.getByLabel('Branch seed').fill('5');
  await page.getByRole('button', { name: 'Branch from here' }).click();
  const branches = page.getByTestId('branches');
  await expect(branches.getByText(/from step 25/)).toBeVisible({ timeout: 60_000 });
  const finals = branches.getByRole('img', { name: 'final #1' });
  await expect(finals).toHaveCount(2);
  expect(await pixels(finals.nth(1))).not.toEqual(await pixels(finals.nth(0)));
  await page.screenshot({ path: 'test-results/screenshots/diffuse.png', fullPage: true });

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export GIF' }).click();
  const gif = readFileSync(await (await download).path());
  expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  expect((await sharp(gif, { animated: true }).metadata()).pages).toBe(50);

  // Choosing another model leaves the run up, saying which model made it.
  await page.getByLabel('Diffusion model').selectOption({ label: 'Fashion-MNIST latent diffusion, class-conditional' });
  await expect(page.getByTestId('run-summary')).toContainText('Fashion-MNIST latent diffusion: 50 steps');
  await expect(page.getByTestId('run-summary')).toContainText('made with another model than the one chosen above');
});

test('a 1000-step run at batch 16 keeps evenly spaced previews, and the scrubber moves over them', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#diffuse`);
  await page.getByLabel('Steps').fill('1000');
  await page.getByLabel('Batch').fill('16');
  await page.getByRole('button', { name: 'Generate' }).click();
  // While a job reports progress the page runs no animation: each animated frame costs the compositor 35-45 ms of
  // CPU without a GPU, and an eased progress bar kept one going through every job (a 50-step emoji DiT run took
  // 6.3-7.3 s in the app with it, 3.4-4.0 s without).
  const progress = page.getByRole('progressbar', { name: 'Denoising progress' });
  await expect(progress).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => progress.getAttribute('aria-valuenow').then(Number)).toBeGreaterThan(0);
  const animations: number[] = [];
  for (let i = 0; i < 10 && (await progress.isVisible()); i++) {
    animations.push(await page.evaluate(() => document.getAnimations().length));
    await page.waitForTimeout(50);
  }
  expect(animations.length).toBeGreaterThan(0);
  expect(animations.every((n) => n === 0), `animations while the job ran: ${animations.join(', ')}`).toBe(true);
  const scrubber = page.getByRole('slider', { name: 'Step' });
  await expect(scrubber).toBeVisible({ timeout: 90_000 });
  // 28×28 previews of 16 samples: every other position's fit the budget (501 of 1001).
  await expect(scrubber).toHaveAttribute('max', '500');
  await expect(page.getByTestId('position')).toHaveText('step 1000 / 1000');
  await expect(page.getByTestId('samples-grid').getByRole('img', { name: /^x_t #/ })).toHaveCount(16);
  const first = page.getByRole('img', { name: 'x_t #1', exact: true });
  const end = await pixels(first);
  await scrubber.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('position')).toHaveText('step 0 / 1000');
  const start = await pixels(first);
  expect(start).not.toEqual(end);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('position')).toHaveText('step 2 / 1000');
  await expect(page.getByRole('img', { name: 'predicted x₀' }).first()).toBeVisible();
  await scrubber.fill('250');
  await expect(page.getByTestId('position')).toHaveText('step 500 / 1000');
  await expect(page.getByTestId('noise-level')).toContainText('next t = ');
});

test('the forward process and image-to-image', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#diffuse`);
  await page.getByRole('tab', { name: 'Forward process' }).click();
  await page.getByRole('button', { name: 'Use dataset image' }).click();
  await expect(page.getByRole('img', { name: 'x_t at t = 250' })).toBeVisible();
  await page.getByRole('slider', { name: 'Timestep' }).fill('900');
  await expect(page.getByRole('img', { name: 'x_t at t = 900' })).toBeVisible();
  await expect(page.getByLabel('Noise schedule')).toContainText('t = 900');
  await page.screenshot({ path: 'test-results/screenshots/diffuse-forward.png' });

  // The image picked for the forward process is image-to-image's input too.
  await page.getByRole('tab', { name: 'Image to image' }).click();
  await expect(page.getByRole('img', { name: 'input · dataset #0' })).toBeVisible();
  await page.getByRole('button', { name: /Noise and denoise/ }).click();
  await expect(page.getByTestId('img2img-strip').getByRole('img')).toHaveCount(6, { timeout: 60_000 });

  // Another model takes images of another size: its tabs ask for one of their own rather than keep a misfit.
  await page.getByLabel('Diffusion model').selectOption({ label: 'Emoji DiT' });
  await expect(page.getByRole('img', { name: /^input · / })).toHaveCount(0);
  await expect(page.getByTestId('img2img-strip')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Noise and denoise/ })).toBeDisabled();
  await page.getByRole('tab', { name: 'Forward process' }).click();
  await expect(page.getByText('Pick an image to noise.')).toBeVisible();
  await page.getByRole('button', { name: 'Use dataset image' }).click();
  await expect(page.getByRole('img', { name: 'x₀ · Emoji in four design systems, test split (64×64) #0' })).toBeVisible();
});

// Each model's default guidance, from its manifest (the latent model keeps more variety at 2).
for (const [space, guidance] of [['latent', '2'], ['pixel', '3']] as const) {
  test(`the bundled class-conditional ${space} model draws the class asked for: sandals, then trousers`, async ({ page }) => {
    await page.goto(`${process.env.STUDIO_URL}#diffuse`);
    await page.getByLabel('Diffusion model').selectOption({ label: `Fashion-MNIST ${space} diffusion, class-conditional` });
    const classes = page.getByLabel('Class');
    await expect(classes.locator('option')).toHaveText(['none (unconditional)', 'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    await classes.selectOption({ label: 'Sandal' });
    await expect(page.getByLabel('Guidance')).toHaveValue(guidance);
    await page.getByLabel('Steps').fill('25');
    await page.getByLabel('Batch').fill('4');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 25 / 25', { timeout: 60_000 });
    // The share of rows with bright pixels, over the four samples: trousers fill theirs from top to bottom, most
    // sandals only a low band (a high heel reaches higher).
    const rowsLit = async () => {
      let lit = 0;
      let rows = 0;
      for (let k = 1; k <= 4; k++) {
        const tile = page.getByRole('img', { name: `x_t #${k}` });
        const data = await pixels(tile);
        const width = await tile.evaluate((c: HTMLCanvasElement) => c.width);
        for (let y = 0; y < data.length / 4 / width; y++, rows++) if (Array.from({ length: width }, (_, x) => data[(y * width + x) * 4]!).some((v) => v > 128)) lit++;
      }
      return lit / rows;
    };
    const sandal = await rowsLit();
    // The latent model's step previews are decodes at 28×28 (25 steps at batch 4 decode in a fraction of a second),
    // not its 7×7 latent: a scrubbed step shows the picture at once.
    await page.getByRole('slider', { name: 'Step' }).fill('12');
    await expect(page.getByTestId('position')).toHaveText('step 12 / 25');
    expect(await page.getByRole('img', { name: 'predicted x₀' }).first().evaluate((c: HTMLCanvasElement) => c.width)).toBe(28);
    await expect(page.getByTestId('preview-note')).toHaveCount(0);
    await page.getByRole('slider', { name: 'Step' }).fill('25');
    await expect(page.getByRole('region', { name: 'Saved runs' })).toContainText(`Sandal · guidance ${guidance}`);
    await page.screenshot({ path: `test-results/screenshots/diffuse-fmnist-conditional-${space}.png` });

    await classes.selectOption({ label: 'Trouser' });
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('region', { name: 'Saved runs' })).toContainText(`Trouser · guidance ${guidance}`);
    await expect(page.getByTestId('position')).toHaveText('step 25 / 25', { timeout: 60_000 });
    await expect.poll(rowsLit).toBeGreaterThan(sandal + 0.2);
    expect(await rowsLit()).toBeGreaterThan(0.9);
    if (space !== 'latent') return;

    // 300 steps at batch 16 would decode 9,616 pictures for the step previews: they are the 7×7 latent's instead, the
    // summary says so and which steps are decoded in full when scrubbing stops on one (those whose values are kept).
    await page.getByLabel('Steps').fill('300');
    await page.getByLabel('Batch').fill('16');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 300 / 300', { timeout: 90_000 });
    await expect(page.getByTestId('preview-note')).toHaveText(/^\s*· steps show as 7×7 previews of the latent while you scrub; the \d+ steps whose values are kept \(see Branch\) are decoded at 28×28 when you stop on one$/);
    await page.getByRole('slider', { name: 'Step' }).fill('0');
    await expect(page.getByTestId('position')).toHaveText('step 0 / 300');
    const start = page.getByRole('img', { name: 'x_t #1', exact: true });
    await expect.poll(() => start.evaluate((c: HTMLCanvasElement) => c.width)).toBe(28);

    // Its GIF is decoded and written by the engine (diffusion.exportGif): a frame for each kept step, at 28×28.
    const kept = Number(/the (\d+) steps whose values are kept/.exec((await page.getByTestId('preview-note').textContent())!)![1]);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export GIF' }).click();
    const meta = await sharp(readFileSync(await (await download).path()), { animated: true }).metadata();
    const scale = Number(await page.getByLabel('Export scale').inputValue());
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([kept, 28 * scale, 28 * scale]);
  });
}
