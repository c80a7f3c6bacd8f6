import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { serveWithUserModel } from '../browserServer';
import { FrameAssembler } from '../../electron/api/wire';
import { expect, recordCalls, test } from './fixtures';

test('a colour VAE with a spatial latent [4, 8, 8]: its samples stay in their card and Edit shows the picture at full size', async ({ page }) => {
  const server = await serveWithUserModel(page, 'vae-spatial-tiny', 'ldm-spatial-tiny');
  try {
    const card = page.getByTestId('model-vae-spatial-tiny');
    await expect(card).toContainText('[4, 8, 8]');
    const tiles = card.getByTestId('samples').locator('canvas');
    await expect(tiles).toHaveCount(16);
    const [grid, box] = [(await card.getByTestId('samples').boundingBox())!, (await card.boundingBox())!];
    expect(grid.x + grid.width).toBeLessThanOrEqual(box.x + box.width);

    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Spatial-latent VAE fixture (untrained)' });
    await page.getByRole('button', { name: 'Random sample' }).click();
    const after = page.getByRole('img', { name: 'After' });
    await expect(after).toBeVisible();
    expect(await after.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screenshots/edit-spatial-latent.png' });

    // Latent diffusion over it, set up as Stable Diffusion 1.x: colour samples at 64×64 through the VAE.
    await page.getByRole('tab', { name: 'Diffuse' }).click();
    await page.getByLabel('Diffusion model').selectOption({ label: 'Latent diffusion fixture over the spatial VAE (untrained)' });
    await page.getByLabel('Steps').fill('10');
    await page.getByLabel('Batch').fill('2');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 10 / 10', { timeout: 60_000 });
    await expect(page.getByTestId('noise-level')).toContainText('noise level');
    const sample = page.getByRole('img', { name: 'x_t #2' });
    expect(await sample.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    await page.getByRole('slider', { name: 'Step' }).fill('0');
    await expect(page.getByTestId('noise-level')).toContainText('next t = 901');
    // Ten steps at batch 2 decode 42 images for their previews, a few milliseconds each: every step is kept decoded
    // at 64×64, not as the latent's 8×8, so scrubbing shows full pictures at once and nothing is decoded again.
    await page.getByRole('slider', { name: 'Step' }).fill('5');
    await expect(page.getByTestId('position')).toHaveText('step 5 / 10');
    expect(await sample.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    const predicted = page.getByRole('img', { name: 'predicted x₀' }).nth(1);
    expect(await predicted.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([64, 64]);
    await expect(page.getByTestId('preview-note')).toHaveCount(0);
    // Exports are at full size too: a GIF of every step at 64×64.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export GIF' }).click();
    const gif = readFileSync(await (await download).path());
    // While it was written the buttons waited and a line said so; done, they are back.
    await expect(page.getByTestId('exporting')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Export GIF' })).toBeEnabled();
    const meta = await sharp(gif, { animated: true }).metadata();
    const scale = Number(await page.getByLabel('Export scale').inputValue());
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([10, 64 * scale, 64 * scale]);
    // The scale picker names that size, the model's, not the 8×8 previews' (it read 4× · 32×32 px).
    await expect(page.getByLabel('Export scale').locator('option:checked')).toHaveText(`${scale}× · ${64 * scale}×${64 * scale} px`);
  } finally {
    server.stop();
  }
});

test('a 64×64 colour model explores the shipped emoji test split, coloured by design system', async ({ page }) => {
  const server = await serveWithUserModel(page, 'vae-spatial-tiny');
  try {
    await page.getByRole('tab', { name: 'Explore' }).click();
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'Spatial-latent VAE fixture (untrained)' });
    // Fashion-MNIST's 28×28 grey images do not fit it; the emoji split is the dataset that does.
    await expect(page.getByRole('combobox', { name: 'Dataset' }).or(page.getByTestId('dataset-name'))).toContainText('Emoji in four design systems');
    await expect(page.getByText(/754 points/)).toBeVisible({ timeout: 60_000 });
    const legend = page.getByRole('region', { name: 'Classes' });
    for (const system of ['Noto', 'Twemoji', 'OpenMoji', 'Fluent']) await expect(legend.getByRole('button', { name: system, exact: true })).toBeVisible();
    // Coloured by Unicode category instead: the legend names the categories.
    await page.getByLabel('Colour by').selectOption({ label: 'category (9)' });
    await expect(legend.getByRole('button', { name: 'Smileys & Emotion', exact: true })).toBeVisible();
    await expect(legend.getByRole('button', { name: 'Noto', exact: true })).toHaveCount(0);
    await page.waitForTimeout(500);
    await page.screenshot({ path: 'test-results/screenshots/explore-emoji.png' });
    // The comparison of PCA, AE and VAE on these images: the Emoji VAE (no prior) and this fixture fill two columns;
    // PCA is made from Fashion-MNIST only, and its column says so instead of offering a model it could not show.
    await page.getByLabel('Compare PCA, AE and VAE').check();
    await expect(page.getByTestId('pca-not-here')).toContainText('made from the Fashion-MNIST sample only');
    await expect(page.getByRole('button', { name: /Make PCA with/ })).toHaveCount(0);
  } finally {
    server.stop();
  }
});

test('a 256 px VAE: the sweep strip fills frame by frame, then frames near the thumb are decoded ahead and nudges paint them', async ({ page }) => {
  const calls = recordCalls(page);
  const server = await serveWithUserModel(page, 'vae-256');
  try {
    // Its sample grid shows tiles about 60 px wide: the images come averaged down to 128 px, not at 256.
    const tiles = page.getByTestId('model-vae-256').getByTestId('samples').locator('canvas');
    await expect(tiles).toHaveCount(16);
    expect(await tiles.first().evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([128, 128]);
    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Spatial-latent VAE 256x256 speed fixture (untrained)' });
    await page.getByRole('button', { name: 'Random sample' }).click();
    await expect(page.getByRole('img', { name: 'After' })).toBeVisible();
    // Every state the strip passes through: its data-sweep attribute and how many frames it draws.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { stripStates: string[] }).stripStates = []);
      new MutationObserver(() => {
        const strip = document.querySelector('[data-testid="edit-strip"]');
        if (!strip) return;
        const state = `${strip.getAttribute('data-sweep')}:${strip.querySelectorAll('canvas').length}`;
        if (seen.at(-1) !== state) seen.push(state);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-sweep'] });
    });
    const vector = Array.from({ length: 4 * 32 * 32 }, (_, i) => Math.sin(i * 12.9898) * 0.05);
    const file = { format: 'latent-studio-directions', version: 1, directions: [{ name: 'Wave', model: 'vae-256', kind: 'imported', vector }] };
    await page.getByTestId('directions-file').setInputFiles({ name: 'wave.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    const strip = page.getByTestId('edit-strip');
    await expect(strip.locator('canvas')).toHaveCount(9, { timeout: 30_000 });
    // A 256 px frame costs more than a piece of the grid, so the grid is not decoded ahead and the strip stays a strip.
    await expect(strip).toHaveAttribute('data-sweep', 'strip');
    const states = await page.evaluate(() => (window as unknown as { stripStates: string[] }).stripStates);
    const partial = states.filter((s) => s.startsWith('partial:')).map((s) => Number(s.split(':')[1]));
    // (The row is measured before its first frames draw, so a partial strip can show 0 canvases for one render.)
    expect(partial.filter((n) => n >= 1 && n < 9).length, `states seen: ${states.join(', ')}`).toBeGreaterThan(0);
    expect(states.at(-1)).toBe('strip:9');
    await page.screenshot({ path: 'test-results/screenshots/edit-256-strip.png' });

    // While the slider rests, the 20 amounts nearest its thumb (±0.5) are decoded ahead on the sweep's lane, one a call.
    const decodes = (lane: string) => calls.filter((c) => c.name === 'model.preview' && c.lane === lane).length;
    await expect.poll(() => decodes('edit-sweep'), { timeout: 30_000 }).toBe(9 + 20);
    const after = page.getByRole('img', { name: 'After' });
    const pixels = () => after.evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const before = await pixels();
    const onDemand = decodes('edit');
    const slider = page.getByRole('slider', { name: 'Wave' });
    await slider.focus();
    for (const [key, amount] of [['ArrowRight', '+0.05'], ['ArrowRight', '+0.10'], ['ArrowLeft', '+0.05'], ['ArrowLeft', '+0.00'], ['ArrowLeft', '-0.05']] as const) {
      await page.keyboard.press(key);
      await expect(page.getByTestId('direction-Wave').getByTestId('amount')).toHaveText(amount);
      if (amount === '+0.00') await expect.poll(pixels).toBe(before);
      else await expect.poll(pixels).not.toBe(before);
    }
    // Every nudge painted a frame the page had: the engine was asked for none of them.
    expect(decodes('edit')).toBe(onDemand);
    // The strip's own frames serve too: its end, +4, is painted from the strip.
    await page.keyboard.press('End');
    await expect(page.getByTestId('direction-Wave').getByTestId('amount')).toHaveText('+4.00');
    await expect.poll(pixels).not.toBe(before);
    expect(decodes('edit')).toBe(onDemand);
    // Anywhere else, a move is decoded on demand as before.
    await slider.fill('2.35');
    await expect(page.getByTestId('direction-Wave').getByTestId('amount')).toHaveText('+2.35');
    await expect.poll(() => decodes('edit')).toBe(onDemand + 1);
  } finally {
    server.stop();
  }
});

test('a 256 px strip of 64 frames shows its progress and its frames as they come, stops on Cancel keeping them, decodes again on request, and a smaller one then decodes', async ({ page }) => {
  const server = await serveWithUserModel(page, 'vae-256');
  try {
    await page.getByRole('tab', { name: 'Interpolate' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: 'Spatial-latent VAE 256x256 speed fixture (untrained)' });
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await page.getByRole('button', { name: 'Add random sample' }).click();
    await expect(page.getByTestId('keyframe')).toHaveCount(2);
    await expect(page.getByTestId('strip').getByRole('img')).toHaveCount(10, { timeout: 30_000 });
    // 64 frames at 256 px take seconds on a CPU: the strip's progress shows, as a job of the view's in the status bar too.
    await page.getByRole('slider', { name: 'Frames', exact: true }).fill('64');
    const progress = page.getByRole('progressbar', { name: 'Decoding the strip progress' });
    await expect(progress).toHaveAttribute('aria-valuemax', '64');
    // It moves as the engine reports each run of two frames, and the frames show as they come, the rest as placeholders.
    await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    await expect.poll(async () => page.getByTestId('strip-pending').count()).toBeGreaterThan(0);
    await expect(page.getByTestId('status-job')).toContainText('Decoding the strip');
    await page.getByRole('status', { name: 'Decoding the strip' }).getByRole('button', { name: 'Cancel' }).click();
    const stoppedLine = page.getByText(/^Stopped after ([2-9]|[1-5]\d|6[0-2]) of 64 frames\.$/);
    await expect(stoppedLine).toBeVisible();
    await expect(page.getByTestId('status-job')).toHaveCount(0);
    await expect(progress).toHaveCount(0);
    // The frames decoded before the stop stay on screen, the others as placeholders (not the 10-frame strip of before).
    const kept = Number((await stoppedLine.textContent())!.match(/after (\d+)/)![1]);
    await expect(page.getByTestId('strip').getByRole('img')).toHaveCount(kept);
    await expect(page.getByTestId('strip-pending')).toHaveCount(64 - kept);
    await page.screenshot({ path: 'test-results/screenshots/interpolate-256-stopped.png' });

    // Asked for again, the same 64 frames decode to the end.
    await page.getByRole('button', { name: 'Decode again' }).click();
    await expect(page.getByText(/^Stopped after/)).toHaveCount(0);
    await expect(page.getByTestId('strip').getByRole('img')).toHaveCount(64, { timeout: 60_000 });
    await page.getByRole('slider', { name: 'Frames', exact: true }).fill('4');
    await expect(page.getByTestId('strip').getByRole('img')).toHaveCount(4, { timeout: 30_000 });
    await expect(page.getByRole('alert')).toHaveCount(0);
  } finally {
    server.stop();
  }
});

test('a 256 px latent diffusion model: the forward process and image-to-image keep its pictures within the view; its long runs preview the latent', async ({ page }) => {
  const server = await serveWithUserModel(page, 'vae-256', 'ldm-256');
  try {
    await page.getByRole('tab', { name: 'Diffuse' }).click();
    await page.getByRole('tab', { name: 'Image to image' }).click();
    await page.getByRole('combobox').first().selectOption({ label: 'Latent diffusion fixture over the 256 px VAE (untrained)' });
    // No dataset holds 256 px images: the view says what it waits for.
    await expect(page.getByText('Pick an image to start from.')).toBeVisible();
    const photo = await sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 200, g: 90, b: 40 } } }).png().toBuffer();
    await page.getByRole('tab', { name: 'Forward process' }).click();
    await page.locator('input[type=file]').setInputFiles({ name: 'orange.png', mimeType: 'image/png', buffer: photo });
    const x0 = page.getByRole('img', { name: 'x₀ · orange.png' });
    await expect(x0).toBeVisible();
    expect(await x0.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([256, 256]);
    // 5× would be 1,280 px a side; both pictures are at most 320 px, so the timestep slider stays in reach.
    expect((await x0.boundingBox())!.width).toBeLessThanOrEqual(320);
    const xt = page.getByRole('img', { name: /^x_t at t = / });
    await expect(xt).toBeVisible();
    expect((await xt.boundingBox())!.width).toBeLessThanOrEqual(320);
    await expect(page.getByLabel('Timestep')).toBeInViewport();

    // Generating 100 steps would decode 201 pictures of 256×256 for the step previews, 10 s on this CPU: the steps
    // are kept as 32×32 previews of the latent, the summary says so, and the step scrubbing rests on is decoded in full.
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByLabel('Steps').fill('100');
    await page.getByLabel('Batch').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('position')).toHaveText('step 100 / 100', { timeout: 60_000 });
    await expect(page.getByTestId('preview-note')).toHaveText('· steps show as 32×32 previews of the latent while you scrub; the step you stop on is decoded at 256×256');
    await page.getByRole('slider', { name: 'Step' }).fill('20');
    const step = page.getByRole('img', { name: 'x_t #1' });
    await expect.poll(() => step.evaluate((c: HTMLCanvasElement) => c.width)).toBe(256);
    await page.screenshot({ path: 'test-results/screenshots/diffuse-ldm-256.png' });
  } finally {
    server.stop();
  }
});

test('a 256 px sample grid shows its tiles as they come; leaving Models stops it, coming back decodes only the rest, and a reload decodes nothing', async ({ page }) => {
  // The server's messages are held back from the moment the grid's first run has reached the page, so the view is left
  // part way through the grid however fast this machine decodes; the page's own messages (the cancel) go through.
  // Calls and progress by connection (a reload opens another, whose call ids start again).
  const sent: { connection: number; id: number; name: string; args: { model?: string; prior?: { seed: number; count: number; from?: number } } }[] = [];
  // How many codes a grid's call asks for: the engine draws them from the seed (prior), from `from` on.
  const codes = (c: (typeof sent)[number]) => c.args.prior!.count - (c.args.prior!.from ?? 0);
  const held: (string | Buffer)[] = [];
  const reported: { connection: number; id: number }[] = [];
  let connections = 0;
  let holding = false;
  let release = () => {};
  await page.routeWebSocket(/\/api\?token=/, (ws) => {
    const server = ws.connectToServer();
    const connection = ++connections;
    const fromPage = new FrameAssembler();
    const fromServer = new FrameAssembler();
    ws.onMessage((message) => {
      if (typeof message !== 'string') {
        const call = fromPage.take(message) as (typeof sent)[number] & { type: string };
        if (call?.type === 'call') sent.push({ ...call, connection });
      }
      server.send(message);
    });
    server.onMessage((message) => {
      if (holding) return void held.push(message);
      ws.send(message);
      if (typeof message === 'string') return;
      const reply = fromServer.take(message) as { type: string; id: number; progress?: { images?: unknown } } | undefined;
      if (reply?.type === 'progress') reported.push({ connection, id: reply.id });
      const grid = sent.find((c) => c.name === 'model.preview' && c.args.model === 'vae-256');
      if (reply?.type === 'progress' && connection === grid?.connection && reply.id === grid.id && reply.progress?.images) holding = true;
    });
    release = () => {
      holding = false;
      for (const message of held.splice(0)) ws.send(message);
    };
  });
  const server = await serveWithUserModel(page, 'vae-256');
  try {
    const card = page.getByTestId('model-vae-256');
    // Its first run (two images) is on screen, the rest waits as placeholders.
    await expect(card.getByTestId('samples').locator('canvas')).toHaveCount(2);
    await expect(card.getByTestId('sample-pending')).toHaveCount(14);
    await expect(card.getByTestId('samples-status')).toHaveText('Decoding 2 of 16…');
    const first = sent.filter((c) => c.name === 'model.preview' && c.args.model === 'vae-256');
    expect(first.map(codes)).toEqual([16]);

    await page.getByRole('tab', { name: 'Explore' }).click();
    await expect(page.locator('#view-panel')).toHaveAttribute('data-view', 'explore');
    release();
    await page.getByRole('tab', { name: 'Models' }).click();
    // Back in Models: the two tiles are kept, and only the other 14 codes are decoded.
    await expect(card.getByTestId('samples').locator('canvas')).toHaveCount(16, { timeout: 30_000 });
    const calls = sent.filter((c) => c.name === 'model.preview' && c.args.model === 'vae-256');
    expect(calls.map(codes)).toEqual([16, 14]);
    await expect(card.getByTestId('samples-status')).toContainText('seed 1 · 16 decoded in');
    await expect(card.getByRole('alert')).toHaveCount(0);

    // A reload (as a second window would) asks for the same grid, and the engine answers from the pictures it kept:
    // no run of the decoder, so no progress.
    await page.reload();
    await expect(card.getByTestId('samples').locator('canvas')).toHaveCount(16, { timeout: 30_000 });
    const grids = sent.filter((c) => c.name === 'model.preview' && c.args.model === 'vae-256');
    expect(grids.map(codes)).toEqual([16, 14, 16]);
    expect(reported.filter((r) => r.connection === grids[2]!.connection && r.id === grids[2]!.id)).toEqual([]);
    expect(grids[2]!.connection).toBe(2);
  } finally {
    server.stop();
  }
});
