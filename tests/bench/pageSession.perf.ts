import { chromium, type Browser, type Page } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, it } from 'vitest';
import { CHROMIUM_OPTIONS } from './explorer';
import { launchServer } from '../../e2e/browserServer';
import { processMemory, writePart } from './harness';

/**
 * A person's session at 256 px through the real page, in Chromium compositing in software (as browser.perf.ts's 2D
 * rows): the 256 px fixtures added in Models (their sample grids), a folder of 256 px images opened, explored, a
 * direction between its two labels dragged in Edit, an interpolation, a 1000-step DDPM at batch 4 played back and
 * exported as a GIF, an inversion in w. For each phase: the page's long tasks (PerformanceObserver 'longtask', over 50 ms) and the server's
 * resident memory from /proc. Targets (the "large models" issue): no main-thread task over 100 ms, server peak ≤ 1.5 GB.
 */
let browser: Browser;
let server: ChildProcess;

const VAE = 'Spatial-latent VAE 256x256 speed fixture (untrained)';
const LDM = 'Latent diffusion fixture over the 256 px VAE (untrained)';
const GAN = 'StyleGAN-style 256x256 speed fixture (untrained)';

beforeAll(async () => {
  browser = await chromium.launch({ ...CHROMIUM_OPTIONS, args: [...CHROMIUM_OPTIONS.args, '--disable-gpu-compositing'] });
});
afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

/** 24 pictures of each of two labels at 256×256: a coloured disc on white, of another size and place each. */
async function writeFolder(): Promise<string> {
  const folder = join(mkdtempSync(join(tmpdir(), 'bench-page-images-')), 'Discs 256');
  for (const [label, colour] of [['Red', (k: number) => `rgb(${200 + k},${40 + 3 * k},40)`], ['Blue', (k: number) => `rgb(40,${60 + 3 * k},${200 + k})`]] as const) {
    mkdirSync(join(folder, label), { recursive: true });
    for (let k = 0; k < 24; k++) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="white"/><circle cx="${80 + 4 * k}" cy="${100 + 2 * k}" r="${40 + k}" fill="${colour(k)}"/></svg>`;
      await sharp(Buffer.from(svg)).png().toFile(join(folder, label, `${k}.png`));
    }
  }
  return folder;
}

/** Records every long task with the phase it fell in (window.__phase), from the page's first script on. */
function installLongTaskRecorder(): void {
  const w = window as unknown as { __longTasks: { phase: string; ms: number }[]; __phase: string };
  w.__longTasks = [];
  w.__phase = 'loading';
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.__longTasks.push({ phase: w.__phase, ms: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}

async function chooseModel(page: Page, name: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: name });
}

it('the page and the server over a session at 256 px', async () => {
  const models = mkdtempSync(join(tmpdir(), 'bench-page-models-'));
  for (const name of ['vae-256', 'ldm-256', 'stylegan-256']) cpSync(join('tests', 'fixtures', 'models', name), join(models, name), { recursive: true, filter: (p) => !p.includes('.latent-studio') });
  const folder = await writeFolder();
  const target = join(tmpdir(), `bench-page-target-${process.pid}.png`);
  await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300" fill="#fc8"/><circle cx="150" cy="150" r="90" fill="#36a"/></svg>')).png().toFile(target);

  const launched = await launchServer(mkdtempSync(join(tmpdir(), 'bench-page-config-')));
  server = launched.process;
  const url = launched.url;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(installLongTaskRecorder);
  const started = performance.now();
  const phases: { phase: string; ms: number; longestTaskMs: number; tasksOver50: number; tasksOver100: number; rssMB: number; peakMB: number }[] = [];
  const phase = async (name: string, view: string | null, work: () => Promise<void>) => {
    if (view) await page.goto(`${url}#${view}`);
    await page.evaluate((n) => ((window as unknown as { __phase: string }).__phase = n), name);
    const t = performance.now();
    await work();
    // The work's last replies and frames land in the phase too.
    await page.waitForTimeout(500);
    const ms = performance.now() - t;
    const tasks = (await page.evaluate(() => (window as unknown as { __longTasks: { phase: string; ms: number }[] }).__longTasks)).filter((e) => e.phase === name).map((e) => e.ms);
    phases.push({ phase: name, ms: Math.round(ms), longestTaskMs: Math.max(0, ...tasks), tasksOver50: tasks.length, tasksOver100: tasks.filter((d) => d > 100).length, ...processMemory(server.pid!) });
  };

  await page.goto(`${url}#models`);
  await phase('models added (their cards and sample grids)', null, async () => {
    await page.getByLabel('Model folder path').fill(models);
    await page.getByRole('button', { name: 'Add folder' }).click();
    for (const id of ['vae-256', 'ldm-256', 'stylegan-256']) await page.getByTestId(`model-${id}`).waitFor({ timeout: 60_000 });
    await page.getByTestId('model-stylegan-256').getByTestId('samples').locator('canvas').first().waitFor({ timeout: 60_000 });
  });
  await phase('a folder of 48 images at 256 px opened', null, async () => {
    await page.getByLabel('Image folder path').fill(folder);
    await page.getByRole('button', { name: 'Open folder' }).click();
    await page.getByTestId('dataset-message').filter({ hasText: 'Discs 256: 48 images' }).waitFor({ timeout: 60_000 });
  });
  await phase('explored with the 256 px VAE', 'explore', async () => {
    await chooseModel(page, VAE);
    await page.getByText('48 points').waitFor({ timeout: 120_000 });
  });
  await phase('edit: a direction between the labels, 40 drags', 'edit', async () => {
    await chooseModel(page, VAE);
    const choice = page.getByRole('combobox', { name: 'Dataset', exact: true });
    await choice.or(page.getByTestId('dataset-name')).first().waitFor();
    if (await choice.isVisible()) await choice.selectOption({ label: 'Discs 256 · 48' });
    await page.getByLabel('Dataset image number').fill('3');
    await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
    await page.getByRole('tab', { name: 'Classes' }).click();
    await page.getByLabel('From class').selectOption({ label: 'Blue' });
    await page.getByLabel('To class').selectOption({ label: 'Red' });
    await page.getByRole('button', { name: 'Add direction' }).click();
    const slider = page.getByRole('slider', { name: 'Blue → Red' });
    await slider.waitFor({ timeout: 120_000 });
    const box = (await slider.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width / 2, y, { steps: 5 });
    await page.mouse.down();
    for (let i = 0; i < 40; i++) {
      await page.mouse.move(box.x + box.width * (0.1 + 0.8 * ((i * 0.37) % 1)), y);
      await page.waitForTimeout(100);
    }
    await page.mouse.up();
    // The strip and the frames near the thumb decode once the slider rests.
    await page.waitForTimeout(5000);
  });
  await phase('interpolate: two images, 32 frames', 'interpolate', async () => {
    await chooseModel(page, VAE);
    for (const index of ['3', '30']) {
      await page.getByLabel('Dataset image number').fill(index);
      await page.getByRole('button', { name: 'Add dataset image' }).click();
    }
    await page.getByRole('slider', { name: 'Frames' }).fill('32');
    await page.getByTestId('strip').getByRole('img').nth(31).waitFor({ timeout: 120_000 });
  });
  await phase('diffuse: DDPM, 1000 steps at batch 4, then scrubbed', 'diffuse', async () => {
    await page.getByLabel('Diffusion model').selectOption({ label: LDM });
    await page.getByLabel('Sampler').selectOption('ddpm');
    await page.getByLabel('Steps').fill('1000');
    await page.getByLabel('Batch').fill('4');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByTestId('run-summary').waitFor({ timeout: 300_000 });
    await page.getByRole('slider', { name: 'Step' }).focus();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press(i < 10 ? 'ArrowLeft' : 'PageDown');
      await page.waitForTimeout(100);
    }
  });
  await phase('diffuse: the run exported as a GIF', null, async () => {
    const download = page.waitForEvent('download', { timeout: 300_000 });
    await page.getByRole('button', { name: 'Export GIF' }).click();
    await download;
  });
  await phase('invert: 100 steps in w', 'invert', async () => {
    await chooseModel(page, GAN);
    await page.locator('input[type=file]').first().setInputFiles(target);
    await page.getByLabel('Steps').fill('100');
    await page.getByLabel('Space').selectOption('w');
    await page.getByRole('button', { name: 'Invert', exact: true }).click();
    await page.getByTestId('inversion-result').getByTestId('psnr').waitFor({ timeout: 300_000 });
  });
  const loading = (await page.evaluate(() => (window as unknown as { __longTasks: { phase: string; ms: number }[] }).__longTasks)).filter((e) => e.phase === 'loading').map((e) => e.ms);
  await page.close();
  const longestTaskMs = Math.max(...phases.map((p) => p.longestTaskMs));
  const peakMB = Math.max(...phases.map((p) => p.peakMB));
  writePart('pageSession', { phases, longestTaskMs, peakMB, pageLoadLongestTaskMs: Math.max(0, ...loading), totalMs: Math.round(performance.now() - started) });
  console.info(phases.map((p) => `${p.phase}: ${(p.ms / 1000).toFixed(1)} s, longest task ${p.longestTaskMs.toFixed(0)} ms (${p.tasksOver50} over 50, ${p.tasksOver100} over 100), RSS ${p.rssMB.toFixed(0)} MB, peak ${p.peakMB.toFixed(0)} MB`).join('\n'));
});
