import { expect, test } from './fixtures';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const number = async (text: Promise<string | null>) => Number((await text)!.match(/[\d.]+/)![0]);

test('an inversion keeps running across view switches, Esc stops it with a usable best-so-far, and everything comes back from the saved project', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-survives-'));
  await page.goto(`${process.env.STUDIO_URL}#invert`);
  await page.getByLabel('Dataset image number').fill('12');
  await page.getByRole('button', { name: 'Use dataset image' }).click();
  await page.getByLabel('Steps').fill('5000');
  await page.getByLabel('Random restarts').fill('32');
  await page.getByLabel('Early noise').fill('0');
  await page.getByRole('button', { name: 'Invert', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Inverting' })).toBeVisible();

  // Diffuse mid-job: the inversion goes on, its progress in the status bar; Diffuse keeps its own run and scrub position.
  await page.getByRole('tab', { name: 'Diffuse' }).click();
  const statusJob = page.getByTestId('status-job');
  await expect(statusJob).toContainText(/Inverting \d[\d,]* \/ 5,000/);
  const before = await number(statusJob.textContent().then((t) => t!.replace(/,/g, '').replace('Inverting', '')));
  await page.getByLabel('Steps').fill('20');
  await page.getByLabel('Batch').fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  const scrubber = page.getByRole('slider', { name: 'Step' });
  await expect(scrubber).toHaveAttribute('max', '20', { timeout: 60_000 });
  await scrubber.fill('7');
  await expect(page.getByTestId('position')).toHaveText('step 7 / 20');
  await expect.poll(async () => number(statusJob.textContent().then((t) => t!.replace(/,/g, '').replace('Inverting', '')))).toBeGreaterThan(before);

  // Back in Invert: target, settings and the live curve are as left; Esc stops the job and keeps its best code.
  await statusJob.click();
  await expect(page.getByRole('img', { name: 'Target · dataset #12' })).toBeVisible();
  await expect(page.getByLabel('Steps')).toHaveValue('5000');
  await expect(page.getByRole('status', { name: 'Inverting' })).toBeVisible();
  // A long inversion says how fast it goes and how long is left (a 256 px generator takes minutes).
  await expect(page.getByRole('status', { name: 'Inverting' }).getByTestId('job-rate')).toHaveText(/^[\d.]+ steps\/s · \d+ (s|min) left$/);
  await page.keyboard.press('Escape');
  const result = page.getByTestId('inversion-result');
  await expect(result).toBeVisible();
  await expect(result.getByTestId('stopped-at')).toHaveText(/stopped at step \d+: best so far/);
  const stoppedAt = await number(result.getByTestId('stopped-at').textContent());
  expect(stoppedAt).toBeLessThan(5000);
  expect(await number(result.getByTestId('psnr').textContent())).toBeGreaterThan(10);
  await expect(page.getByRole('img', { name: `G(z*) · stopped at step ${stoppedAt}` })).toBeVisible();
  await expect(statusJob).toHaveCount(0);
  await result.getByRole('button', { name: 'Save to project' }).click();
  await expect(result.getByRole('button', { name: 'Saved in project' })).toBeDisabled();

  // Diffuse kept its run, scrub position and settings while Invert had the screen.
  await page.getByRole('tab', { name: 'Diffuse' }).click();
  await expect(page.getByTestId('position')).toHaveText('step 7 / 20');
  await expect(page.getByLabel('Steps')).toHaveValue('20');

  // The stopped code goes on to Edit like any other; two edits and an undo leave a history to save.
  await page.getByRole('tab', { name: 'Invert' }).click();
  await result.getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByTestId('edit-base')).toContainText(`inverted dataset #12 · `);
  await expect(page.getByTestId('edit-base')).toContainText(`(stopped at step ${stoppedAt})`);
  await expect(page.getByRole('img', { name: 'After' })).toBeVisible();

  const path = join(dir, 'survives.lsproj');
  await page.keyboard.press('Control+s');
  await page.getByLabel('Project file path').fill(path);
  await page.getByRole('dialog', { name: 'Save project as' }).getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('project-name')).toHaveText('survives');
  const saved = JSON.parse(readFileSync(path, 'utf8')).project;
  expect(saved.inversions[0]).toMatchObject({ stopped: true, steps: stoppedAt });
  expect(saved.diffusionBranches[0]).toMatchObject({ steps: 20, batch: 2 });

  // A fresh page opens the project: Invert shows the saved inversion, Diffuse offers the run again.
  await page.reload();
  await expect(page.locator('[data-recovery="checked"]')).toHaveCount(1);
  await page.keyboard.press('Control+o');
  await page.getByLabel('Project file path').fill(path);
  await page.getByRole('dialog', { name: 'Open project' }).getByRole('button', { name: 'Open' }).click();
  await expect(page.getByTestId('project-name')).toHaveText('survives');
  await page.getByRole('tab', { name: 'Invert' }).click();
  await expect(page.getByRole('img', { name: 'Target · dataset #12' })).toBeVisible();
  await expect(page.getByTestId('stopped-at')).toHaveText(`stopped at step ${stoppedAt}: best so far`);
  await expect(page.getByTestId('psnr')).toBeVisible();
  await page.getByRole('tab', { name: 'Diffuse' }).click();
  const savedRuns = page.getByRole('region', { name: 'Saved runs' });
  await savedRuns.getByRole('button', { name: /DDIM 20 steps/ }).click();
  await expect(scrubber).toHaveAttribute('max', '20', { timeout: 60_000 });
  await expect(page.getByTestId('samples-grid').getByRole('img', { name: /^x_t #/ })).toHaveCount(2);
});
