import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

type Box = { x: number; y: number; width: number; height: number };

async function box(locator: Locator): Promise<Box> {
  await expect(locator).toBeVisible();
  return (await locator.boundingBox())!;
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
const inside = (inner: Box, outer: Box) => inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;

/**
 * Every named part is on screen, and no two overlap, once the layout has settled: sizes that follow a box's measured
 * size (the Edit picture, ResizeObserver) catch up a frame after the box changes (the sweep strip's last frame
 * arriving), and a one-frame state is not what a person sees. Measured again, two frames apart, until two readings agree.
 */
async function expectLaidOut(page: Page, parts: Record<string, Locator>) {
  const { width, height } = page.viewportSize()!;
  const screen = { x: 0, y: 0, width, height };
  const measure = async () => Object.fromEntries(await Promise.all(Object.entries(parts).map(async ([name, locator]) => [name, await box(locator)] as const)));
  let boxes = await measure();
  for (let tries = 0; tries < 20; tries++) {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const again = await measure();
    if (JSON.stringify(again) === JSON.stringify(boxes)) break;
    boxes = again;
  }
  for (const [name, b] of Object.entries(boxes)) expect(inside(b, screen), `${name} on screen at ${width}×${height}: ${JSON.stringify(b)}`).toBe(true);
  const names = Object.keys(boxes);
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) expect(overlap(boxes[names[i]!]!, boxes[names[j]!]!), `${names[i]} overlaps ${names[j]} at ${width}×${height}`).toBe(false);
  return boxes;
}

for (const [width, height] of [
  [1024, 640],
  [1920, 1080],
  [2560, 1440],
] as const) {
  test(`at ${width}×${height} every view keeps its image, controls and readouts on screen without overlap`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    const shot = (view: string) => page.screenshot({ path: `test-results/screenshots/layout-${view}-${width}x${height}.png` });

    await page.goto(`${process.env.STUDIO_URL}#edit`);
    await page.getByLabel('Dataset image number').fill('9');
    await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
    // The same direction twice: their arrows in Explore end at the same point, the hardest case for labels.
    await page.getByRole('button', { name: 'Add direction' }).click();
    await page.getByRole('button', { name: 'Add direction' }).click();
    await page.getByLabel('To class').selectOption({ label: 'Sandal' });
    await page.getByRole('button', { name: 'Add direction' }).click();
    await page.getByRole('slider', { name: 'Sneaker → Ankle boot', exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('edit-strip').locator('canvas')).toHaveCount(9);
    const edit = await expectLaidOut(page, {
      image: page.getByRole('img', { name: 'After' }),
      readout: page.getByTestId('class-probabilities'),
      actions: page.getByRole('toolbar', { name: 'Edit actions' }),
      sweep: page.getByTestId('edit-strip'),
      sliders: page.getByRole('slider', { name: 'Sneaker → Ankle boot', exact: true }),
    });
    // The picture grows with the window rather than sitting small in an empty canvas.
    expect(edit.image!.width).toBeGreaterThanOrEqual(width >= 1920 ? 480 : 200);
    await shot('edit');

    await page.getByRole('tab', { name: 'Explore' }).click();
    await expect(page.getByText(/10000 points/)).toBeVisible({ timeout: 60_000 });
    const labels = page.getByTestId('direction-label');
    await expect(labels).toHaveCount(3);
    await expect.poll(() => labels.evaluateAll((all) => all.every((l) => (l as HTMLElement).style.visibility === 'visible'))).toBe(true);
    await expectLaidOut(page, {
      'Sneaker → Ankle boot': labels.nth(0),
      'Sneaker → Ankle boot 2': labels.nth(1),
      'Sneaker → Sandal': labels.nth(2),
      axes: page.getByLabel('x axis'),
    });
    await shot('explore');

    await page.getByRole('tab', { name: 'Invert' }).click();
    await page.getByRole('button', { name: 'Use dataset image' }).click();
    await page.getByLabel('Steps').fill('30');
    await page.getByRole('button', { name: 'Invert', exact: true }).click();
    await expect(page.getByTestId('inversion-result')).toBeVisible({ timeout: 60_000 });
    await expectLaidOut(page, {
      target: page.getByRole('img', { name: /^Target/ }),
      result: page.getByRole('img', { name: 'G(z*)' }),
      curve: page.getByLabel('Loss curve').first(),
      readout: page.getByTestId('psnr'),
      invert: page.getByRole('button', { name: 'Invert', exact: true }),
    });
    await shot('invert');

    await page.getByRole('tab', { name: 'Diffuse' }).click();
    await page.getByLabel('Steps').fill('10');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 10 / 10', { timeout: 60_000 });
    await expectLaidOut(page, {
      first: page.getByRole('img', { name: 'x_t #1' }),
      last: page.getByRole('img', { name: 'x_t #4' }),
      scrubber: page.getByRole('slider', { name: 'Step' }),
      generate: page.getByRole('button', { name: 'Generate' }),
      readout: page.getByTestId('noise-level'),
    });
    await shot('diffuse');

    // Sample grids stay inside their cards.
    await page.getByRole('tab', { name: 'Models' }).click();
    for (const card of await page.locator('article[data-testid^="model-"]').all()) {
      const grid = card.getByTestId('samples');
      if ((await grid.count()) === 0) continue;
      await expect(grid.locator('canvas')).toHaveCount(16);
      expect(inside(await box(grid), await box(card))).toBe(true);
    }
    await shot('models');
  });
}
