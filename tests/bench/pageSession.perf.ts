import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, it } from 'vitest';
import { CHROMIUM_OPTIONS } from './explorer';
import { launchServer } from '../../e2e/browserServer';
import { BarePage, installUi, type PageUi } from './barePage';
import { pause, processMemory, writePart } from './harness';

/**
 * A person's session at 256 px through the real page, in Chromium compositing in software (as browser.perf.ts's 2D
 * rows): the 256 px fixtures added in Models (their sample grids), a folder of 256 px images opened, explored, a
 * direction between its two labels dragged in Edit, an interpolation, a 1000-step DDPM at batch 4 played back and
 * exported as a GIF, an inversion in w. For each phase: the page's long tasks (PerformanceObserver 'longtask', over 50 ms) and the server's
 * resident memory from /proc. Targets (the "large models" issue): no main-thread task over 100 ms, server peak ≤ 1.5 GB.
 */
let server: ChildProcess;

const VAE = 'Spatial-latent VAE 256x256 speed fixture (untrained)';
const LDM = 'Latent diffusion fixture over the 256 px VAE (untrained)';
const GAN = 'StyleGAN-style 256x256 speed fixture (untrained)';

afterAll(() => {
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

/**
 * Records every long task with the phase it fell in (window.__phase), from the page's first script on, and every
 * download the page starts (an anchor with a download name clicked: how the app saves a file in browser mode).
 */
function installRecorders(): void {
  const w = window as unknown as { __longTasks: { phase: string; ms: number }[]; __phase: string; __downloads: string[] };
  w.__longTasks = [];
  w.__phase = 'loading';
  w.__downloads = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.__longTasks.push({ phase: w.__phase, ms: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    if (this.download) w.__downloads.push(this.download);
    click.call(this);
  };
}

const hasText = ([selector, text]: string[]) => Array.from(document.querySelectorAll(selector!)).some((e) => e.textContent?.includes(text!));

it('the page and the server over a session at 256 px', async () => {
  const models = mkdtempSync(join(tmpdir(), 'bench-page-models-'));
  for (const name of ['vae-256', 'ldm-256', 'stylegan-256']) cpSync(join('tests', 'fixtures', 'models', name), join(models, name), { recursive: true, filter: (p) => !p.includes('.latent-studio') });
  const folder = await writeFolder();
  const target = join(tmpdir(), `bench-page-target-${process.pid}.png`);
  await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300" fill="#fc8"/><circle cx="150" cy="150" r="90" fill="#36a"/></svg>')).png().toFile(target);

  const launched = await launchServer(mkdtempSync(join(tmpdir(), 'bench-page-config-')));
  server = launched.process;
  const url = launched.url;
  // A Chromium no DevTools client watches, as a person's (BarePage): under Playwright every socket message is copied
  // to its client, about 15 ms of the main thread for a 512 px picture and 68 ms for 3 MB.
  const page = await BarePage.open(CHROMIUM_OPTIONS.executablePath, [...CHROMIUM_OPTIONS.args, '--disable-gpu-compositing'], `${url}#models`, { width: 1280, height: 900 }, installRecorders);
  await page.evaluate(installUi);
  const ui = <R>(method: keyof PageUi, ...args: string[]) => page.evaluate(([m, ...a]) => (window as unknown as { __ui: Record<string, (...x: string[]) => unknown> }).__ui[m!]!(...a) as R, [method, ...args]);
  const until = (fn: (arg: string[]) => unknown, arg: string[], timeoutMs = 60_000) => page.waitFor(fn, arg, timeoutMs);
  const exists = (selector: string, timeoutMs?: number) => until(([s]) => document.querySelector(s!), [selector], timeoutMs);
  const clickWhenShown = async (name: string, timeoutMs?: number) => (await until(([n]) => (window as unknown as { __ui: PageUi }).__ui.canClick(n!), [name], timeoutMs), await ui('click', name));
  // A button, not the tab of the same name (Diffuse's Generate tab, the Invert view's tab).
  const pressButton = async (name: string) => {
    const button = ([n]: string[]) => Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.trim() === n && b.getAttribute('role') !== 'tab' && !b.disabled);
    await until(button, [name]);
    await page.evaluate((n) => Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.trim() === n && b.getAttribute('role') !== 'tab' && !b.disabled)!.click(), name);
  };
  const chooseModel = async (label: string, control = 'Model') => {
    await until(([c, l]) => (window as unknown as { __ui: PageUi }).__ui.hasOption(c!, l!), [control, label]);
    await ui('select', control, label);
  };
  const started = performance.now();
  const phases: { phase: string; ms: number; longestTaskMs: number; tasksOver50: number; tasksOver100: number; rssMB: number; peakMB: number }[] = [];
  const phase = async (name: string, view: string | null, work: () => Promise<void>) => {
    // A view is opened as the app's tabs open it: the address's hash.
    if (view) await page.evaluate((v) => void (location.hash = v), `#${view}`);
    await page.evaluate((n) => ((window as unknown as { __phase: string }).__phase = n), name);
    const t = performance.now();
    await work();
    // The work's last replies and frames land in the phase too.
    await pause(500);
    const ms = performance.now() - t;
    const tasks = (await page.evaluate(() => (window as unknown as { __longTasks: { phase: string; ms: number }[] }).__longTasks)).filter((e) => e.phase === name).map((e) => e.ms);
    phases.push({ phase: name, ms: Math.round(ms), longestTaskMs: Math.max(0, ...tasks), tasksOver50: tasks.length, tasksOver100: tasks.filter((d) => d > 100).length, ...processMemory(server.pid!) });
  };

  // The page's own load (the bundled models' cards and first sample grids) ends before a person adds a folder; its long
  // tasks are reported as the load's, not the next phase's.
  await exists('[data-testid="model-fmnist-dcgan"] [data-testid="samples"] canvas');
  await pause(1500);
  await phase('models added (their cards and sample grids)', null, async () => {
    await until(([n]) => (window as unknown as { __ui: PageUi }).__ui.hasControl(n!), ['Model folder path']);
    await ui('fill', 'Model folder path', models);
    await clickWhenShown('Add folder');
    for (const id of ['vae-256', 'ldm-256', 'stylegan-256']) await exists(`[data-testid="model-${id}"]`);
    await exists('[data-testid="model-stylegan-256"] [data-testid="samples"] canvas');
  });
  await phase('a folder of 48 images at 256 px opened', null, async () => {
    await ui('fill', 'Image folder path', folder);
    await clickWhenShown('Open folder');
    await until(hasText, ['[data-testid="dataset-message"]', 'Discs 256: 48 images']);
  });
  await phase('explored with the 256 px VAE', 'explore', async () => {
    await chooseModel(VAE);
    await until(hasText, ['body', '48 points'], 120_000);
  });
  await phase('edit: a direction between the labels, 40 drags', 'edit', async () => {
    await chooseModel(VAE);
    await exists('select[aria-label="Dataset"], [data-testid="dataset-name"]');
    if (await ui<boolean>('hasControl', 'Dataset')) await ui('select', 'Dataset', 'Discs 256 · 48');
    await ui('fill', 'Dataset image number', '3');
    await clickWhenShown('Dataset image');
    await clickWhenShown('Classes');
    await until(([n]) => (window as unknown as { __ui: PageUi }).__ui.hasControl(n!), ['From class']);
    await ui('select', 'From class', 'Blue');
    await ui('select', 'To class', 'Red');
    await clickWhenShown('Add direction');
    const slider = 'input[type="range"][aria-label="Blue → Red"]';
    await exists(slider, 120_000);
    const box = await page.evaluate((selector) => {
      const r = document.querySelector(selector)!.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }, slider);
    const y = box.y + box.height / 2;
    await page.move(box.x + box.width / 2, y, 5);
    await page.down();
    for (let i = 0; i < 40; i++) {
      await page.move(box.x + box.width * (0.1 + 0.8 * ((i * 0.37) % 1)), y);
      await pause(100);
    }
    await page.up();
    // The strip and the frames near the thumb decode once the slider rests.
    await pause(5000);
  });
  await phase('interpolate: two images, 32 frames', 'interpolate', async () => {
    await chooseModel(VAE);
    for (const index of ['3', '30']) {
      await ui('fill', 'Dataset image number', index);
      await clickWhenShown('Add dataset image');
    }
    await exists('input[type="range"][aria-label="Frames"]');
    await ui('fill', 'Frames', '32');
    await until(([n]) => document.querySelectorAll('[data-testid="strip"] [role="img"]').length >= Number(n), ['32'], 120_000);
  });
  await phase('diffuse: DDPM, 1000 steps at batch 4, then scrubbed', 'diffuse', async () => {
    await chooseModel(LDM, 'Diffusion model');
    await ui('selectValue', 'Sampler', 'ddpm');
    await ui('fill', 'Steps', '1000');
    await ui('fill', 'Batch', '4');
    await pressButton('Generate');
    await exists('[data-testid="run-summary"]', 300_000);
    await page.evaluate(() => (document.querySelector('input[type="range"][aria-label="Step"]') as HTMLElement).focus());
    for (let i = 0; i < 20; i++) {
      await page.press(i < 10 ? 'ArrowLeft' : 'PageDown');
      await pause(100);
    }
  });
  await phase('diffuse: the run exported as a GIF', null, async () => {
    await clickWhenShown('Export GIF');
    await until(() => (window as unknown as { __downloads: string[] }).__downloads.some((d) => d.endsWith('.gif')), [], 300_000);
  });
  await phase('invert: 100 steps in w', 'invert', async () => {
    await chooseModel(GAN);
    await page.setInputFiles('input[type=file]', [target]);
    await until(([n]) => (window as unknown as { __ui: PageUi }).__ui.hasControl(n!), ['Steps']);
    await ui('fill', 'Steps', '100');
    await ui('selectValue', 'Space', 'w');
    await pressButton('Invert');
    await exists('[data-testid="inversion-result"] [data-testid="psnr"]', 180_000);
  });
  const loading = (await page.evaluate(() => (window as unknown as { __longTasks: { phase: string; ms: number }[] }).__longTasks)).filter((e) => e.phase === 'loading').map((e) => e.ms);
  await page.close();
  const longestTaskMs = Math.max(...phases.map((p) => p.longestTaskMs));
  const peakMB = Math.max(...phases.map((p) => p.peakMB));
  writePart('pageSession', { phases, longestTaskMs, peakMB, pageLoadLongestTaskMs: Math.max(0, ...loading), totalMs: Math.round(performance.now() - started), driver: 'bare' });
  console.info(phases.map((p) => `${p.phase}: ${(p.ms / 1000).toFixed(1)} s, longest task ${p.longestTaskMs.toFixed(0)} ms (${p.tasksOver50} over 50, ${p.tasksOver100} over 100), RSS ${p.rssMB.toFixed(0)} MB, peak ${p.peakMB.toFixed(0)} MB`).join('\n'));
});
