import { expect, test } from './fixtures';
import { mkdirSync } from 'node:fs';

const url = () => process.env.STUDIO_URL!;
const VIEWS = ['Explore', 'Interpolate', 'Edit', 'Invert', 'Diffuse', 'Models'];
const shots = 'test-results/screenshots';

test.beforeAll(() => mkdirSync(shots, { recursive: true }));

test('the app reaches the engine over WebSocket and shows the real runtime providers', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url());
  await expect(page.getByTestId('provider')).toHaveText(/Runtime: CPU/);
  await expect(page.getByText('Browser mode')).toBeVisible();
  await page.getByRole('tab', { name: 'Models' }).click();
  const providers = page.getByTestId('providers');
  await expect(providers).toContainText(/cpu\s*available, in use/i);
  await expect(providers).toContainText(/CUDA: /);
  expect(errors).toEqual([]);
});

test('every view opens from the tab list and by keyboard, and is screenshotted', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByTestId('provider')).toHaveText(/Runtime:/);
  for (const [i, view] of VIEWS.entries()) {
    await page.keyboard.press(`Control+${i + 1}`);
    const tab = page.getByRole('tab', { name: view });
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel')).toHaveAttribute('data-view', view.toLowerCase());
    await page.screenshot({ path: `${shots}/${view.toLowerCase()}.png` });
  }
  // Arrow keys move between tabs once the tab list has focus.
  await page.getByRole('tab', { name: 'Models' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('tab', { name: 'Explore' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Explore' })).toBeFocused();
});

test('the page and the socket are refused without the launch token', async ({ page, request }) => {
  const withoutToken = new URL(url());
  withoutToken.search = '';
  const response = await request.get(withoutToken.toString());
  expect(response.status()).toBe(401);
  expect(await response.text()).toContain('needs the token');

  await page.goto(url());
  const refused = await page.evaluate(async () => {
    const socket = new WebSocket(`ws://${location.host}/api?token=wrong`);
    return new Promise<boolean>((resolve) => {
      socket.onopen = () => resolve(false);
      socket.onerror = () => resolve(true);
    });
  });
  expect(refused).toBe(true);
});
