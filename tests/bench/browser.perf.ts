import { chromium, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { stats, writePart } from './harness';

let browser: Browser;
const servers: ChildProcess[] = [];
const results: Record<string, unknown> = {};

/** Starts browser mode as `npm start -- --browser` would, with a fresh settings folder; resolves with its URL. */
function startServer(): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, ['out/main/server.js', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LATENT_STUDIO_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'bench-config-')) } });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = output.match(/open (http:\S+)/);
      if (match) resolve({ url: match[1]!, process: child });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser.close();
  for (const s of servers) s.kill('SIGTERM');
  writePart('browser', results);
});

/** True once the first canvas matching the selector shows a picture rather than a blank. */
const canvasHasPicture = (selector: string) => {
  const canvas = document.querySelector(selector) as HTMLCanvasElement | null;
  if (!canvas) return false;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < data.length; i += 4) {
    lo = Math.min(lo, data[i]!);
    hi = Math.max(hi, data[i]!);
  }
  return hi - lo > 40;
};

it('cold start: from launching the server to the first decoded image painted', async () => {
  const samples: number[] = [];
  for (let run = 0; run < 3; run++) {
    const page = await browser.newPage();
    const t0 = performance.now();
    const { url, process: server } = await startServer();
    await page.goto(`${url}#models`);
    await page.waitForFunction(canvasHasPicture, '[data-testid="samples"] canvas', { timeout: 60_000, polling: 'raf' });
    samples.push(performance.now() - t0);
    await page.close();
    server.kill('SIGTERM');
  }
  results['coldStart'] = stats(samples);
});

async function editPage(page: Page, url: string): Promise<void> {
  await page.goto(`${url}#edit`);
  await page.getByLabel('Dataset image number').fill('9');
  await page.getByRole('button', { name: 'Dataset image', exact: true }).click();
  await page.getByRole('tab', { name: 'Classes' }).click();
  await page.getByRole('button', { name: 'Add direction' }).click();
  await page.getByRole('slider', { name: 'Sneaker → Ankle boot' }).waitFor();
  await page.getByRole('img', { name: 'After' }).waitFor();
}

it('edit-to-paint: from a slider input event to the new image on screen, 200 drags', async () => {
  const { url } = await startServer();
  const page = await browser.newPage();
  await editPage(page, url);
  const latencies = await page.evaluate(async () => {
    const slider = document.querySelector('input[aria-label="Sneaker → Ankle boot"]') as HTMLInputElement;
    const canvas = document.querySelector('canvas[aria-label="After"]') as HTMLCanvasElement;
    const context = canvas.getContext('2d')!;
    const checksum = () => context.getImageData(0, 0, canvas.width, canvas.height).data.reduce((s, v, i) => (s + v * ((i % 97) + 1)) % 1_000_000_007, 0);
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    const out: number[] = [];
    for (let i = 0; i < 200; i++) {
      const before = checksum();
      const value = ((i * 0.37) % 6) - 3 + (i % 2 ? 0.05 : 0);
      const t0 = performance.now();
      setValue.call(slider, value.toFixed(2));
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      // The image is on screen at the first animation frame after the canvas changed.
      const painted = await new Promise<number>((resolve) => {
        const poll = (now: number) => (checksum() !== before || now - t0 > 2000 ? resolve(performance.now()) : requestAnimationFrame(poll));
        requestAnimationFrame(poll);
      });
      out.push(painted - t0);
    }
    return out;
  });
  results['editToPaint'] = stats(latencies);
  await page.close();
});

it('explorer frame rate while orbiting at 10,000 and 100,000 points, and hover-pick time', async () => {
  const { url } = await startServer();
  const explorer: Record<string, unknown> = {};
  for (const count of [10_000, 100_000]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}&synthetic=${count}&bench=1#explore`);
    await page.getByText(`${count} points`).waitFor({ timeout: 60_000 });
    const canvas = page.getByTestId('explorer-canvas').locator('canvas');
    const box = (await canvas.boundingBox())!;
    await page.waitForTimeout(1000);
    await page.evaluate(() => {
      const w = window as unknown as { __frames: number[] };
      w.__frames = [];
      const tick = (t: number) => {
        w.__frames.push(t);
        if (w.__frames.length < 100_000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const start = Date.now();
    for (let i = 0; Date.now() - start < 3000; i++) await page.mouse.move(cx + Math.cos(i / 10) * 150, cy + Math.sin(i / 10) * 80);
    await page.mouse.up();
    const frames = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames);
    const span = frames.at(-1)! - frames[0]!;
    const picks = await page.evaluate(
      ({ w, h }) => {
        const bench = (window as unknown as { __latentBench: { pickMs(x: number, y: number): { ms: number; hits: number } } }).__latentBench;
        const out: number[] = [];
        for (let i = 0; i < 100; i++) out.push(bench.pickMs(w / 2 + Math.cos(i) * 100, h / 2 + Math.sin(i) * 100).ms);
        return out;
      },
      { w: box.width, h: box.height },
    );
    explorer[count] = { fps: ((frames.length - 1) * 1000) / span, frames: frames.length, pick: stats(picks) };
    await page.close();
  }
  results['explorer'] = explorer;
});
