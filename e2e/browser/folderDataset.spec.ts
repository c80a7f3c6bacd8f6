import type { Locator } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { parseDatasetSample } from '../../electron/engine/dataset/sample';
import { launchServer } from '../browserServer';
import { expect, test } from './fixtures';

const sample = parseDatasetSample(readFileSync('resources/dataset/fashion-mnist-t10k.lsds.gz'));
const CLASSES = { Trouser: 1, Sneaker: 7, Bag: 8 };
const probability = async (readout: Locator, label: string) => Number(await readout.locator(`li[data-class="${label}"]`).getAttribute('data-probability'));

/** A PNG of the bundled sample's image `index`, at 96×96 in colour: what a folder of someone's pictures holds. */
const png = (index: number) => sharp(Buffer.from(sample.pixels.subarray(index * 784, (index + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).resize(96, 96).toColourspace('srgb').png().toBuffer();

test('a folder of your own images: read it with progress, stop and go on, explore it by label, and edit an imported image along a direction between two of its labels', async ({ page }) => {
  test.setTimeout(180_000);
  const folder = join(mkdtempSync(join(tmpdir(), 'e2e-image-folder-')), 'My garments');
  const indices: Record<string, number[]> = {};
  for (const [label, cls] of Object.entries(CLASSES)) {
    mkdirSync(join(folder, label), { recursive: true });
    indices[label] = [];
    for (let i = 0; indices[label].length < 300; i++) if (sample.labels[i] === cls) indices[label].push(i);
    await Promise.all(indices[label].map(async (index, k) => writeFileSync(join(folder, label, `${label.toLowerCase()}-${String(k).padStart(3, '0')}.png`), await png(index))));
  }
  writeFileSync(join(folder, 'Bag', 'broken.png'), 'not an image at all');
  const server = await launchServer(mkdtempSync(join(tmpdir(), 'e2e-image-folder-config-')));
  try {
    await page.goto(`${server.url}#explore`);
    // Where the File menu leads in browser mode: the Models view's folder field.
    await page.getByRole('button', { name: 'File' }).click();
    await page.getByRole('menuitem', { name: 'Open image folder as dataset…' }).click();
    await expect(page.getByLabel('Image folder path')).toBeFocused();
    await page.getByLabel('Image folder path').fill(folder);
    await page.getByRole('button', { name: 'Open folder' }).click();

    // Progress with a rate, then Stop: what was read is kept.
    const bar = page.getByRole('progressbar', { name: 'Reading images progress' });
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(40);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(page.getByTestId('dataset-message')).toHaveText(/Stopped\. Open the folder again to go on where it stopped/);
    await page.getByRole('button', { name: 'Open folder' }).click();
    await expect(page.getByTestId('dataset-message')).toHaveText('My garments: 900 images, 3 labels; 1 file could not be read.', { timeout: 60_000 });
    const card = page.getByTestId('dataset-card').filter({ hasText: 'My garments' });
    await expect(card).toContainText('Bag (300) · Sneaker (300) · Trouser (300)');
    await card.getByText('1 file could not be read').click();
    await expect(card.getByTestId('skipped-files')).toContainText('Bag/broken.png');
    await page.screenshot({ path: 'test-results/screenshots/datasets.png' });

    // Explore: the folder's codes under the VAE, coloured by its own labels.
    await page.goto(`${server.url}#explore`);
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'My garments · 900' });
    await expect(page.getByText('900 points')).toBeVisible({ timeout: 60_000 });
    const legend = page.getByRole('region', { name: 'Classes' });
    for (const label of Object.keys(CLASSES)) await expect(legend.getByRole('button', { name: label })).toBeVisible();
    await page.screenshot({ path: 'test-results/screenshots/explore-folder.png' });

    // Edit an imported trouser along "Trouser → Sneaker", made from the folder's labels.
    await page.goto(`${server.url}#edit`);
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'My garments · 900' });
    await page.getByTestId('image-file').setInputFiles({ name: 'my-trousers.png', mimeType: 'image/png', buffer: await png(sample.labels.findIndex((l, i) => l === CLASSES.Trouser && i > indices.Trouser!.at(-1)!)) });
    await expect(page.getByTestId('edit-base')).toHaveText('my-trousers.png');
    await page.getByRole('tab', { name: 'Classes' }).click();
    await page.getByLabel('From class').selectOption({ label: 'Trouser' });
    await page.getByLabel('To class').selectOption({ label: 'Sneaker' });
    await page.getByRole('button', { name: 'Add direction' }).click();
    const slider = page.getByRole('slider', { name: 'Trouser → Sneaker' });
    await expect(slider).toBeVisible();
    const readout = page.getByTestId('class-probabilities');
    await expect(readout.locator('li[data-class="Sneaker"]')).toBeVisible();
    const before = await probability(readout, 'Sneaker');
    // One step of the mean difference carries the trouser's code about to the sneakers' mean (four would overshoot off the data).
    await slider.fill('1');
    await expect(page.getByTestId('direction-Trouser → Sneaker').getByTestId('amount')).toHaveText('+1.00');
    await expect.poll(() => probability(readout, 'Sneaker')).toBeGreaterThan(Math.max(0.5, before));

    // A boundary between the same two labels, fitted on the folder's codes without a classifier.
    await page.getByRole('tab', { name: 'Boundary' }).click();
    await page.getByLabel('Boundary from label').selectOption({ label: 'Trouser' });
    await page.getByLabel('Boundary to label').selectOption({ label: 'Sneaker' });
    await page.getByRole('button', { name: 'Fit between labels' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Added “Trouser → Sneaker (boundary)”' })).toContainText(/\d+\.\d% of the two labels' codes fall on their own side/);
    await page.screenshot({ path: 'test-results/screenshots/edit-folder.png' });

    // The same stack applied to three of the folder's images, written as PNGs where the user says.
    const output = join(folder, '..', 'edited');
    await page.getByText('Apply the stack to many images…').click();
    await page.getByLabel('Images to edit').selectOption({ label: 'Images of My garments, by number' });
    await page.getByLabel('Image numbers to edit').fill('0, 1, 899');
    await page.getByLabel('Output folder').fill(output);
    await page.getByRole('button', { name: 'Apply and write PNGs' }).click();
    await expect(page.getByTestId('batch-message')).toHaveText(`Wrote 3 edited images to ${output}.`, { timeout: 30_000 });
    expect(readdirSync(join(output, 'Trouser'))).toEqual(['trouser-299.png']);
    expect(readdirSync(join(output, 'Bag')).sort()).toEqual(['bag-000.png', 'bag-001.png']);
  } finally {
    server.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
