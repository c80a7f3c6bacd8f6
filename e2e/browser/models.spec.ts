import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const BUNDLED = JSON.parse(readFileSync('e2e/bundled-models.json', 'utf8')) as string[];

test('the Models view shows every bundled model running on cpu, with sample grids for generators', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#models`);
  for (const id of BUNDLED) {
    const card = page.getByTestId(`model-${id}`);
    await expect(card).toBeVisible();
    await expect(card.getByTestId('runs-on')).toContainText(/^cpu · loaded and warmed up in [\d.]+ ms/);
  }
  const vae = page.getByTestId('model-fmnist-vae');
  // Metrics read as words with units, from the manifest's numbers.
  const psnr = JSON.parse(readFileSync('models/fmnist-vae/manifest.json', 'utf8')).metrics.testPsnrDb as number;
  await expect(vae.locator('[data-metric="testPsnrDb"]')).toHaveText(`Test PSNR${psnr.toFixed(2)} dB`);
  await expect(vae.locator('[data-metric="priorSamplesConfidentShare"] dd')).toHaveText(/^\d+\.\d%$/);
  // Why a faster provider is missing is the runtime panel's to say, once, not every card's.
  await expect(vae.getByTestId('runs-on')).not.toContainText('DirectML');
  const tiles = vae.getByTestId('samples').locator('canvas');
  await expect(tiles).toHaveCount(16);
  await expect(vae).toContainText('seed 1');
  await vae.getByRole('button', { name: 'New samples' }).click();
  await expect(vae).toContainText('seed 2');
  // The tiles hold real pictures, not blank canvases.
  const spread = await tiles.first().evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let min = 255;
    let max = 0;
    for (let i = 0; i < data.length; i += 4) {
      min = Math.min(min, data[i]!);
      max = Math.max(max, data[i]!);
    }
    return max - min;
  });
  expect(spread).toBeGreaterThan(80);
  await page.screenshot({ path: 'test-results/screenshots/models-library.png', fullPage: true });
});

test('importing an image shows what the model sees, and a broken file gets a clear message', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#models`);
  // A white boot-like blob on black, 300×200.
  const shape = await sharp({ create: { width: 180, height: 90, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000000' } }).composite([{ input: shape, left: 60, top: 80 }]).png().toBuffer();
  await page.getByTestId('image-file').setInputFiles({ name: 'boot.png', mimeType: 'image/png', buffer: png });
  const result = page.getByTestId('import-result');
  await expect(result).toContainText('Original · 300×200 PNG');
  await expect(result.getByRole('img', { name: 'What the model sees' })).toBeVisible();
  await expect(result).toContainText(/Reconstruction · [\d.]+ dB/);
  await expect(page.getByTestId('classifier-label')).toContainText(/Classifier: .+ \(\d+%\)/);
  const download = page.waitForEvent('download');
  await result.getByRole('button', { name: 'Export PNG' }).click();
  const file = await (await download).path();
  const meta = await sharp(readFileSync(file)).metadata();
  expect([meta.width, meta.height]).toEqual([112, 112]);
  await page.screenshot({ path: 'test-results/screenshots/models-import.png' });

  await page.getByTestId('image-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are not pixels') });
  await expect(page.getByRole('alert')).toHaveText('notes.png could not be read: it is not a PNG, JPEG or WebP image.');
});

// Last in this file: it frees the shared server's sessions, which the first test expects loaded.
test('the Memory panel shows what the engine caches against its budget; a budget and Free caches release sessions, which load again when used', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#models`);
  const memory = page.getByRole('region', { name: 'Memory' });
  const vae = page.getByTestId('model-fmnist-vae');
  await expect(vae.getByTestId('runs-on')).toContainText(/^cpu · loaded/);
  await expect(memory.getByTestId('memory-used')).toHaveText(/^[\d.]+ MB cached of a [\d.]+ (MB|GB) budget$/);
  await expect(memory.getByTestId('memory-kinds')).toContainText(/model sessions \(weights and working memory\): [\d.]+ MB \(\d+\)/);
  await expect(memory.getByTestId('memory-process')).toContainText(/Engine process: [\d.]+ (MB|GB) resident/);

  await memory.getByLabel('Memory budget', { exact: true }).selectOption('256');
  await expect(memory.getByTestId('memory-used')).toContainText('cached of a 256 MB budget');
  // Free caches releases what is idle. The page's sample grids (one per card) may still be running, and what they
  // load once they finish is cached again, so the press is repeated until nothing was in flight.
  await expect(async () => {
    await memory.getByRole('button', { name: 'Free caches' }).click();
    await expect(memory.getByRole('status')).toContainText(/^Released [\d.]+ (MB|KB|bytes)/, { timeout: 2000 });
    await expect(memory.getByTestId('memory-used')).toHaveText('0 bytes cached of a 256 MB budget', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(vae.getByTestId('runs-on')).toHaveText('released to save memory; loads again when used');
  await page.screenshot({ path: 'test-results/screenshots/models-memory.png' });

  // Used again, the VAE's decoder loads again and is counted again.
  await vae.getByRole('button', { name: 'New samples' }).click();
  await expect(vae.getByTestId('runs-on')).toContainText(/^cpu · loaded/);
  await expect(memory.getByTestId('memory-used')).toHaveText(/^[\d.]+ MB cached of a 256 MB budget$/);
  await memory.getByLabel('Memory budget', { exact: true }).selectOption('auto');
  await expect(memory.getByTestId('memory-used')).not.toContainText('256 MB budget');
});
