import { expect, test } from './fixtures';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('a project saves, starts over, and opens again with its directions and edit; a damaged file is refused', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-project-'));
  // Opening views is not work to save: the explorer choosing its model and dataset leaves the project unchanged.
  await page.goto(`${process.env.STUDIO_URL}#explore`);
  await expect(page.getByText(/\d+ points/)).toBeVisible({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Edit', exact: true }).click();
  await expect(page.getByTestId('project-name')).toHaveText('Untitled');
  await page.goto(`${process.env.STUDIO_URL}#edit`);
  await page.getByLabel('Dataset image number').fill('9');
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await expect(page.getByTestId('edit-base')).toContainText('dataset #9');
  await page.getByRole('tab', { name: 'Classes' }).click();
  await page.getByLabel('From class').selectOption({ label: 'Sneaker' });
  await page.getByLabel('To class').selectOption({ label: 'Ankle boot' });
  await page.getByRole('button', { name: 'Add direction' }).click();
  const added = page.getByRole('status').filter({ hasText: 'Added “Sneaker → Ankle boot”' });
  await expect(added).toBeVisible();
  const slider = page.getByRole('slider', { name: 'Sneaker → Ankle boot' });
  await slider.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +0.50');
  await expect(page.getByTestId('project-name')).toHaveText('Untitled •');

  const path = join(dir, 'boots.lsproj');
  await page.keyboard.press('Control+s');
  await page.getByLabel('Project file path').fill(path);
  await page.getByRole('dialog', { name: 'Save project as' }).getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('project-name')).toHaveText('boots');
  expect(JSON.parse(readFileSync(path, 'utf8')).project.directions[0].name).toBe('Sneaker → Ankle boot');

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'New project' }).click();
  await expect(page.getByText('Pick an image to edit')).toBeVisible();
  await expect(page.getByRole('slider', { name: 'Sneaker → Ankle boot' })).toHaveCount(0);
  await expect(added, 'what the Edit view said belongs to the previous project').toHaveCount(0);

  await page.getByRole('button', { name: 'File', exact: true }).click();
  await page.getByRole('menuitem', { name: 'boots.lsproj', description: path }).click();
  await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +0.50');
  await expect(page.getByTestId('edit-base')).toContainText('dataset #9');
  // The undo history came back with the project: undo steps back through the saved edits.
  const undoButton = page.getByRole('button', { name: 'Undo' });
  await expect(undoButton).toBeEnabled();
  await undoButton.click();
  await expect(page.getByTestId('edit-stack')).not.toHaveText('Stack: Sneaker → Ankle boot +0.50');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +0.50');

  const damaged = join(dir, 'damaged.lsproj');
  writeFileSync(damaged, readFileSync(path, 'utf8').slice(0, 300));
  await page.keyboard.press('Control+o');
  await page.getByLabel('Project file path').fill(damaged);
  await page.getByRole('dialog', { name: 'Open project' }).getByRole('button', { name: 'Open' }).click();
  await expect(page.getByRole('alert')).toContainText('damaged.lsproj cannot be opened: it is not valid JSON');
  await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +0.50');

  // A project from before model fingerprints opens upgraded; one whose model changed since opens with a warning.
  const old = join(dir, 'old.lsproj');
  writeFileSync(old, readFileSync('tests/fixtures/projects/format-1.lsproj'));
  page.once('dialog', (d) => void d.accept());
  await page.keyboard.press('Control+o');
  await page.getByLabel('Project file path').fill(old);
  await page.getByRole('dialog', { name: 'Open project' }).getByRole('button', { name: 'Open' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'upgraded from project format 1' })).toBeVisible();
  await expect(page.getByTestId('project-name')).toHaveText('Boots (format 1)');

  const changed = join(dir, 'changed.lsproj');
  const stored = JSON.parse(readFileSync(path, 'utf8'));
  stored.project.models['fmnist-vae'].sha256 = '0'.repeat(64);
  writeFileSync(changed, JSON.stringify(stored));
  await page.keyboard.press('Control+o');
  await page.getByLabel('Project file path').fill(changed);
  await page.getByRole('dialog', { name: 'Open project' }).getByRole('button', { name: 'Open' }).click();
  const warning = page.getByRole('alert', { name: 'Project warnings' });
  await expect(warning).toContainText('Model "fmnist-vae" has changed since this project was saved');
  await page.screenshot({ path: 'test-results/screenshots/project-warning.png' });
  await warning.getByRole('button', { name: 'OK' }).click();
  await expect(warning).toHaveCount(0);
  await expect(page.getByTestId('edit-stack')).toHaveText('Stack: Sneaker → Ankle boot +0.50');
});
