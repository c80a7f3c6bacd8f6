import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** Each view with something in it, as a person would have it after a minute of use. */
const VIEWS: { id: string; label: string; setUp(page: Page): Promise<void> }[] = [
  { id: 'explore', label: 'Explore', setUp: async (page) => void (await expect(page.getByText(/10000 points/)).toBeVisible({ timeout: 60_000 })) },
  {
    id: 'interpolate',
    label: 'Interpolate',
    setUp: async (page) => {
      for (const index of ['3', '9']) {
        await page.getByLabel('Dataset image number').fill(index);
        await page.getByRole('button', { name: 'Add dataset image' }).click();
      }
      await expect(page.getByRole('slider').first()).toBeVisible({ timeout: 60_000 });
    },
  },
  {
    id: 'edit',
    label: 'Edit',
    setUp: async (page) => {
      await page.getByLabel('Dataset image number').fill('9');
      await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
      await page.getByRole('button', { name: 'Add direction' }).click();
      await expect(page.getByRole('img', { name: 'After' })).toBeVisible();
    },
  },
  {
    id: 'invert',
    label: 'Invert',
    setUp: async (page) => {
      await page.getByRole('button', { name: 'Use dataset image' }).click();
      await page.getByLabel('Steps').fill('40');
      await page.getByRole('button', { name: 'Invert', exact: true }).click();
      await expect(page.getByTestId('inversion-result')).toBeVisible({ timeout: 60_000 });
    },
  },
  {
    id: 'diffuse',
    label: 'Diffuse',
    setUp: async (page) => {
      await page.getByLabel('Steps').fill('10');
      await page.getByRole('button', { name: 'Generate' }).click();
      await expect(page.getByRole('slider', { name: 'Step' })).toBeVisible({ timeout: 60_000 });
    },
  },
  { id: 'models', label: 'Models', setUp: async (page) => void (await expect(page.getByTestId('samples').first().locator('canvas')).toHaveCount(16)) },
];

for (const { id, label, setUp } of VIEWS) {
  test(`${label}: axe-core finds no serious or critical violations`, async ({ page }) => {
    await page.goto(`${process.env.STUDIO_URL}#${id}`);
    await expect(page.locator('[data-recovery="checked"]')).toHaveCount(1);
    await setUp(page);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(blocking.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`)).toEqual([]);
  });
}
