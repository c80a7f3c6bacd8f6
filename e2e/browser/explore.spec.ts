import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchServer } from '../browserServer';
import sharp from 'sharp';

/** Standard deviation of a screenshot's pixels: a blank canvas is near 0. */
async function pixelSpread(target: Locator): Promise<number> {
  const stats = await sharp(await target.screenshot()).stats();
  return Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev));
}

/** Sweeps the pointer over the canvas until a point is under it, then returns where. */
async function findPoint(page: Page, canvas: Locator, avoid: { x: number; y: number }[] = []): Promise<{ x: number; y: number }> {
  const box = (await canvas.boundingBox())!;
  // The preview of the point under the pointer (the last one hovered stays, dimmed, once the pointer moves off).
  const preview = page.locator('[data-testid="hover-preview"][data-live="true"]');
  for (let ring = 0; ring < 12; ring++) {
    for (let k = 0; k < 12; k++) {
      const angle = (k / 12) * 2 * Math.PI + ring;
      const x = box.x + box.width / 2 + Math.cos(angle) * ring * 18;
      const y = box.y + box.height / 2 + Math.sin(angle) * ring * 18;
      if (avoid.some((p) => Math.hypot(p.x - x, p.y - y) < 30)) continue;
      await page.mouse.move(x, y);
      if (await preview.isVisible({ timeout: 150 }).catch(() => false)) return { x, y };
    }
  }
  throw new Error('no point found under the pointer');
}

async function tilePixels(tile: Locator): Promise<number[]> {
  return tile.evaluate((canvas: HTMLCanvasElement) => Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data));
}

test('the explorer draws 10,000 points, previews on hover, and interpolates between two picked points', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#explore`);
  const canvas = page.getByTestId('explorer-canvas').locator('canvas');
  await expect(canvas).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/10000 points/)).toBeVisible();
  await expect.poll(() => pixelSpread(canvas), { timeout: 20_000 }).toBeGreaterThan(8);
  await expect(page.getByLabel('x axis')).toContainText('PC1');

  const first = await findPoint(page, canvas);
  const preview = page.getByTestId('hover-preview');
  await expect(preview.getByRole('img', { name: 'Original' })).toBeVisible();
  await expect(preview.getByRole('img', { name: 'Decoded' })).toBeVisible();
  await page.mouse.click(first.x, first.y);
  await expect(page.getByTestId('selection')).toContainText('Selection (1)');
  const second = await findPoint(page, canvas, [first]);
  await page.keyboard.down('Shift');
  await page.mouse.click(second.x, second.y);
  await page.keyboard.up('Shift');
  await expect(page.getByTestId('selection')).toContainText('Selection (2)');
  // Orbiting is not pointing: once the camera turns, the points the pointer crosses leave the preview as it was (each
  // used to be raycast, shown and decoded on the way), and releasing the drag over a point does not pick it.
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  const caption = preview.locator('p').first();
  await page.mouse.move(second.x, second.y);
  await page.mouse.down();
  for (let i = 1; i <= 3; i++) await page.mouse.move(second.x + i * 6, second.y + i * 2);
  const during = await caption.textContent();
  for (let i = 0; i < 40; i++) await page.mouse.move(cx + Math.cos(i / 4) * 120, cy + Math.sin(i / 4) * 90);
  expect(await caption.textContent()).toBe(during);
  await page.mouse.up();
  await expect(page.getByTestId('selection')).toContainText('Selection (2)');
  // On the way to the buttons the pointer leaves the points: the last preview stays, dimmed, so nothing jumps under it.
  const nearest = page.getByRole('button', { name: 'Nearest neighbours' });
  const before = (await nearest.boundingBox())!.y;
  await nearest.hover();
  await expect(page.getByTestId('hover-preview')).toHaveAttribute('data-live', 'false');
  expect((await nearest.boundingBox())!.y).toBe(before);
  await nearest.click();
  await expect(page.getByTestId('neighbors').locator('canvas')).toHaveCount(10);
  await page.screenshot({ path: 'test-results/screenshots/explore-selection.png' });

  await page.getByRole('button', { name: 'Interpolate', exact: true }).click();
  await expect(page.getByRole('tab', { name: 'Interpolate' })).toHaveAttribute('aria-selected', 'true');
  const strip = page.getByTestId('strip').locator('canvas');
  await expect(strip).toHaveCount(10);
  const keyframes = page.getByTestId('keyframe');
  await expect(keyframes).toHaveCount(2);
  const decodedA = keyframes.nth(0).getByRole('img', { name: 'decoded' });
  const decodedB = keyframes.nth(1).getByRole('img', { name: 'decoded' });
  await expect(decodedB).toBeVisible();
  expect(await tilePixels(strip.first())).toEqual(await tilePixels(decodedA));
  expect(await tilePixels(strip.last())).toEqual(await tilePixels(decodedB));
  await page.screenshot({ path: 'test-results/screenshots/interpolate.png', fullPage: true });

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export GIF' }).click();
  const gif = readFileSync(await (await download).path());
  expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  const meta = await sharp(gif, { animated: true }).metadata();
  expect(meta.pages).toBe(10);

  // The path is drawn back in the explorer.
  await page.getByRole('tab', { name: 'Explore' }).click();
  await expect(canvas).toBeVisible();
});

test('PCA, AE and VAE side by side: PCA made from the comparison, each space with reconstructions of the same images and samples from its prior', async ({ page }) => {
  // A server of its own: making PCA adds a model to the library, which the other tests here do not expect.
  const server = await launchServer(mkdtempSync(join(tmpdir(), 'e2e-compare-')));
  try {
    await page.goto(`${server.url}#explore`);
    await page.getByLabel('Compare PCA, AE and VAE').check();
    await expect(page.getByTestId('compare-caption')).toContainText('the autoencoder');
    const pcaColumn = page.getByRole('region', { name: 'PCA', exact: true });
    await pcaColumn.getByRole('button', { name: 'Make PCA with 16 components' }).click();
    const regions = { pca: page.getByRole('region', { name: 'PCA, 16 components' }), ae: page.getByRole('region', { name: 'Fashion-MNIST autoencoder' }), vae: page.getByRole('region', { name: 'Fashion-MNIST VAE' }) };
    const scores: Record<string, number> = {};
    for (const [role, region] of Object.entries(regions)) {
      await expect(region.getByRole('group', { name: /latent space$/ })).toBeVisible({ timeout: 60_000 });
      await expect(region.getByTestId('samples').locator('canvas')).toHaveCount(16);
      // Eight originals and their eight reconstructions.
      await expect(region.locator('[data-testid^="reconstructions-"] canvas')).toHaveCount(16, { timeout: 30_000 });
      scores[role] = Number((await region.getByTestId('reconstruction-psnr').textContent())!.match(/([\d.]+) dB/)![1]);
    }
    // 16 numbers an image each: the non-linear decoders keep more than 16 principal components do.
    expect(scores['pca']).toBeGreaterThan(10);
    expect(scores['ae']).toBeGreaterThan(scores['pca']!);
    expect(scores['vae']).toBeGreaterThan(scores['pca']!);
    await page.waitForTimeout(500);
    await page.screenshot({ path: 'test-results/screenshots/explore-compare.png' });
  } finally {
    server.stop();
  }
});

test('a point picked with the Emoji VAE opens in Edit in the Emoji VAE, whatever model Edit showed', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#explore`);
  await page.getByLabel('Model', { exact: true }).selectOption({ label: 'Emoji VAE' });
  await expect(page.getByText(/754 points/)).toBeVisible({ timeout: 60_000 });
  const canvas = page.getByTestId('explorer-canvas').locator('canvas');
  const point = await findPoint(page, canvas);
  await page.mouse.click(point.x, point.y);
  const selection = page.getByTestId('selection');
  await expect(selection).toContainText('Selection (1)');
  const picked = (await selection.getByRole('img').first().getAttribute('aria-label'))!.match(/#(\d+)/)![1]!;

  await page.getByRole('tab', { name: 'Edit' }).click();
  const model = page.getByRole('combobox', { name: 'Model' });
  await expect(model.locator('option:checked')).toHaveText('Fashion-MNIST VAE');
  // The emoji split does not fit the Fashion-MNIST VAE: the selection is taken in the explorer's model instead.
  const fromSelection = page.getByRole('button', { name: 'Explorer selection' });
  await expect(fromSelection).toHaveAttribute('title', /in its model \(Emoji VAE\)/);
  await fromSelection.click();
  await expect(model.locator('option:checked')).toHaveText('Emoji VAE');
  await expect(page.getByTestId('edit-base')).toContainText(`#${picked}`);
  const after = page.getByRole('img', { name: 'After' });
  await expect(after).toBeVisible();
  expect(await after.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
});

test('the 3D view is drawn by a worker, and the latent cursor dragged by its handle decodes where it goes', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#explore`);
  const canvas = page.getByTestId('explorer-canvas').locator('canvas');
  await expect(page.getByText(/10000 points/)).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => pixelSpread(canvas), { timeout: 20_000 }).toBeGreaterThan(8);
  // The page handed its canvas to the scene's worker, so WebGL's waits are that thread's: the page cannot draw on it.
  expect(page.workers().map((w) => w.url()).some((url) => /sceneWorker/.test(url))).toBe(true);
  const pageContext = await canvas.evaluate((c: HTMLCanvasElement) => {
    try {
      return c.getContext('webgl2') ? 'a context' : 'none';
    } catch (error) {
      return (error as Error).name;
    }
  });
  expect(pageContext).toBe('InvalidStateError');

  await page.getByRole('button', { name: 'Latent cursor' }).click();
  const panel = page.getByTestId('cursor');
  await expect(panel).toContainText('Move the cursor to decode.');
  // With nothing selected the cursor sits at the mean code, the scene's origin in the middle of the canvas; its red
  // handle points right along the first component.
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  const drag = async (from: number, by: number) => {
    await page.mouse.move(cx + from, cy);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(cx + from + (i * by) / 10, cy);
    await page.mouse.up();
  };
  await drag(55, 100);
  const atCursor = panel.getByRole('img', { name: 'At the cursor' });
  await expect(atCursor).toBeVisible();
  const first = await tilePixels(atCursor);
  // The handle moved with the cursor, its arrow now pointing back at the origin (the gizmo turns its arrows towards the
  // middle of the view): grabbing it there moves the cursor again, to another picture.
  await drag(45, -200);
  await expect.poll(async () => (await tilePixels(atCursor)).join(',') !== first.join(','), { timeout: 10_000 }).toBe(true);
});
