import { chromium, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { CHROMIUM_OPTIONS, orbitAndPick } from './explorer';
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
  browser = await chromium.launch(CHROMIUM_OPTIONS);
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

/**
 * Edit-to-paint as a person drags: real mouse moves on the slider (Chromium delivers them
 * aligned to frames, as it does a hand's), timed from the DOM `input` event to the end of
 * the frame whose rendering shows the changed image (the task posted from that frame's
 * animation callback runs once its style, layout and paint are done).
 */
it('edit-to-paint: from a slider input event to the new image on screen, 200 drags', async () => {
  const { url } = await startServer();
  const page = await browser.newPage();
  await editPage(page, url);
  await page.getByTestId('edit-strip').waitFor();
  await page.evaluate(() => {
    const canvas = document.querySelector('canvas[aria-label="After"]') as HTMLCanvasElement;
    const context = canvas.getContext('2d')!;
    const checksum = () => context.getImageData(0, 0, canvas.width, canvas.height).data.reduce((s, v, i) => (s + v * ((i % 97) + 1)) % 1_000_000_007, 0);
    const recorder = { pendingSince: null as number | null, latencies: [] as number[], inputs: 0, shown: checksum() };
    (window as unknown as { __editToPaint: typeof recorder }).__editToPaint = recorder;
    window.addEventListener('input', (e) => {
      if ((e.target as HTMLInputElement).type !== 'range') return;
      recorder.inputs++;
      recorder.pendingSince ??= performance.now();
    }, { capture: true });
    const frame = () => {
      const now = checksum();
      if (now !== recorder.shown) {
        recorder.shown = now;
        const t0 = recorder.pendingSince;
        recorder.pendingSince = null;
        if (t0 !== null) {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => recorder.latencies.push(performance.now() - t0);
          channel.port2.postMessage(0);
        }
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const box = (await page.getByRole('slider', { name: 'Sneaker → Ankle boot' }).boundingBox())!;
  const y = box.y + box.height / 2;
  type Recorder = { latencies: number[]; inputs: number };
  const painted = () => page.evaluate(() => (window as unknown as { __editToPaint: Recorder }).__editToPaint.latencies.length);
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  for (let i = 0; i < 200; i++) {
    const before = await painted();
    // Jumps of at least a few steps, so every move changes the value and the image.
    await page.mouse.move(box.x + box.width * (0.1 + 0.8 * ((i * 0.37) % 1)), y);
    await page.waitForFunction((n) => (window as unknown as { __editToPaint: Recorder }).__editToPaint.latencies.length > n, before, { timeout: 2000 });
  }
  await page.mouse.up();
  const { latencies, inputs } = await page.evaluate(() => (window as unknown as { __editToPaint: Recorder }).__editToPaint);
  results['editToPaint'] = { ...stats(latencies), inputs };
  await page.close();
});

it('explorer frame rate while orbiting at 10,000 and 100,000 points, and hover-pick time', async () => {
  const { url } = await startServer();
  const explorer: Record<string, unknown> = {};
  for (const count of [10_000, 100_000]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}&synthetic=${count}&bench=1#explore`);
    await page.getByText(`${count} points`).waitFor({ timeout: 60_000 });
    explorer[count] = await orbitAndPick(page);
    await page.close();
  }
  results['explorer'] = explorer;
});
