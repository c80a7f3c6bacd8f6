import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> };
    if (!el || el === document.body) return '(page)';
    return (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '').trim();
  });

test('the File menu follows the WAI-ARIA menu pattern: Enter opens it, arrows, Home and End move, Esc closes it back to its button', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#edit`);
  await expect(page.locator('[data-recovery="checked"]')).toHaveCount(1);
  const button = page.getByRole('button', { name: 'File', exact: true });
  await button.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu');
  await expect(menu).toBeVisible();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('menuitem', { name: 'New project' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Open…' })).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByRole('menuitem').last()).toBeFocused();
  await page.keyboard.press('Home');
  await expect(page.getByRole('menuitem', { name: 'New project' })).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('menuitem').last()).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(button).toBeFocused();
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  // ArrowDown opens it too, and Tab leaves it closed.
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'New project' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(menu).toHaveCount(0);
});

test('every control of the Edit view is reached by Tab, each with a visible focus ring', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#edit`);
  await page.getByLabel('Dataset image number').fill('9');
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await page.getByRole('button', { name: 'Add direction' }).click();
  await expect(page.getByRole('slider', { name: 'Sneaker → Ankle boot' })).toBeVisible();
  await page.locator('body').click({ position: { x: 1, y: 1 } });

  const reached: string[] = [];
  const withoutRing: string[] = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const name = await focusedName(page);
    if (name === '(page)' || (reached.length > 0 && name === reached[0])) break;
    reached.push(name);
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
    });
    if (!ring) withoutRing.push(name);
  }
  // The view tabs are one Tab stop (arrows move between them), so the selected one, Edit, is reached.
  for (const control of ['File', 'Edit', 'Dataset image number', 'Dataset image', 'Random sample', 'choose a file', 'Sneaker → Ankle boot', 'Export directions', 'Import directions', 'Export scale', 'Export PNG', 'Add direction']) {
    expect(reached, control).toContain(control);
  }
  expect(withoutRing).toEqual([]);
  expect(reached).not.toContain('');
});

test('Esc stops the focused view’s job; a job of another view keeps running', async ({ page }) => {
  await page.goto(`${process.env.STUDIO_URL}#diffuse`);
  await page.getByLabel('Steps').fill('1000');
  await page.getByLabel('Batch').fill('16');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status', { name: 'Denoising' })).toBeVisible();
  // In Edit, Esc has no job to stop: the denoising goes on.
  await page.getByRole('tab', { name: 'Edit' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('status-job')).toContainText('Denoising');
  await page.getByRole('tab', { name: 'Diffuse' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('status', { name: 'Denoising' })).toHaveCount(0);
  await expect(page.getByText('Sampling was cancelled.')).toBeVisible();
  await expect(page.getByTestId('status-job')).toHaveCount(0);
});
