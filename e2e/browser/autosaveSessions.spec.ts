import { expect, recordCalls, test } from './fixtures';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { launchServer } from '../browserServer';

async function pickBase(page: Page, index: number) {
  await page.getByLabel('Dataset image number').fill(String(index));
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await expect(page.getByTestId('edit-base')).toContainText(`dataset #${index}`);
  await expect(page.getByText(/autosaved \d/)).toBeVisible({ timeout: 15_000 });
}

const checked = (page: Page) => expect(page.locator('[data-recovery="checked"]')).toHaveCount(1);

test('two tabs on one server autosave apart; a save clears only its own; a closed tab’s work is offered to the next, once', async ({ browser }) => {
  const configDir = mkdtempSync(join(tmpdir(), 'e2e-sessions-'));
  const autosaves = () => readdirSync(join(configDir, 'autosaves')).filter((f) => f.endsWith('.lsproj')).sort();
  const server = await launchServer(configDir);
  const context = await browser.newContext();
  try {
    const a = await context.newPage();
    await a.goto(`${server.url}#edit`);
    await checked(a);
    await pickBase(a, 9);

    // A second tab while the first has unsaved work: no "did not close cleanly" for the live first tab.
    const b = await context.newPage();
    await b.goto(`${server.url}#edit`);
    await checked(b);
    await expect(b.getByRole('alertdialog', { name: 'Recover unsaved work' })).toHaveCount(0);
    await pickBase(b, 12);
    expect(autosaves()).toHaveLength(2);

    // B saves: its own autosave goes, A's unsaved work stays protected.
    const path = join(configDir, 'b.lsproj');
    await b.keyboard.press('Control+s');
    await b.getByLabel('Project file path').fill(path);
    await b.getByRole('dialog', { name: 'Save project as' }).getByRole('button', { name: 'Save' }).click();
    await expect(b.getByTestId('project-name')).toHaveText('b');
    expect(existsSync(path)).toBe(true);
    expect(autosaves()).toHaveLength(1);
    await expect(a.getByTestId('project-name')).toHaveText('Untitled •');

    // A is closed without saving: the next tab is offered A's work, and only A's.
    await a.close();
    const c = await context.newPage();
    await c.goto(`${server.url}#edit`);
    const dialog = c.getByRole('alertdialog', { name: 'Recover unsaved work' });
    await expect(dialog.getByTestId('recovery-item')).toHaveCount(1);
    await expect(dialog).toContainText('“Untitled”');
    await dialog.getByRole('button', { name: 'Recover' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(c.getByTestId('edit-base')).toContainText('dataset #9');
    // The recovered work now lives in C's autosave; A's file is gone, B's saved project untouched.
    await expect.poll(autosaves).toHaveLength(1);
    await expect(b.getByTestId('edit-base')).toContainText('dataset #12');

    // B, still open, is never offered anything; a fourth tab is not offered C's live work.
    const d = await context.newPage();
    await d.goto(`${server.url}#edit`);
    await checked(d);
    await expect(d.getByRole('alertdialog', { name: 'Recover unsaved work' })).toHaveCount(0);
  } finally {
    await context.close();
    server.stop();
  }
});

test('an autosave due during a drag waits for the release: its bytes never queue before the drag’s decodes', async ({ page }) => {
  const calls = recordCalls(page);
  const autosaves = () => calls.filter((c) => c.name === 'project.autosave').length;
  const server = await launchServer(mkdtempSync(join(tmpdir(), 'e2e-drag-autosave-')));
  try {
    await page.goto(`${server.url}#edit`);
    await checked(page);
    await pickBase(page, 9);
    const before = autosaves();
    // Adding a direction is a change: its autosave falls due 3 s later, while the slider below is held.
    await page.getByRole('tab', { name: 'Classes' }).click();
    await page.getByRole('button', { name: 'Add direction' }).click();
    const slider = page.getByRole('slider', { name: 'Sneaker → Ankle boot' });
    const box = (await slider.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 0; i < 10; i++) {
      await page.mouse.move(box.x + box.width * (0.2 + 0.06 * i), box.y + box.height / 2);
      await page.waitForTimeout(450);
    }
    expect(calls.filter((c) => c.name === 'model.preview').length).toBeGreaterThan(0);
    expect(autosaves()).toBe(before);
    await page.mouse.up();
    // The release commits the amount, a change of its own: one autosave follows, with the drag's work in it.
    await expect.poll(autosaves, { timeout: 10_000 }).toBe(before + 1);
    await expect(page.getByText(/autosaved \d/)).toBeVisible();
  } finally {
    server.stop();
  }
});
