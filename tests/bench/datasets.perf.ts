import { chromium } from '@playwright/test';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import { FolderDataset } from '../../electron/engine/dataset/folderDataset';
import type { Engine } from '../../electron/engine/engine';
import { ModelHost } from '../../electron/engine/models/host';
import { fromUnitRange } from '../../electron/engine/ops/imageRange';
import { runGraph } from '../../electron/engine/runtime/sessions';
import { launchServer } from '../../e2e/browserServer';
import { callOptions, freshConfigDir, ok, realEngine, repoRoot } from '../helpers/engine';
import { CHROMIUM_OPTIONS, orbitAndPick } from './explorer';
import { stats, writePart, type Stats } from './harness';
import { readSample, writeColourFolder, writeGreyFolder } from './imageFolders';

/**
 * Datasets of the user's own images (FolderDataset): how fast a folder is encoded under a model against
 * the bare encoder graph on the same images, and the explorer over a folder of 100,000 real images.
 * Run one part alone with `-t throughput` or `-t 100,000`; the other's figures in bench-results/parts/datasets.json are kept.
 */
const results: Record<string, unknown> = {};
const PART = join(repoRoot, 'bench-results', 'parts', 'datasets.json');
afterAll(() => {
  const earlier = existsSync(PART) ? (JSON.parse(readFileSync(PART, 'utf8')) as Record<string, unknown>) : {};
  writePart('datasets', { ...earlier, ...results });
});

const call = async <T>(engine: Engine, name: string, args: unknown, progress: unknown[] = []): Promise<T> => ok<T>(await dispatchCall(engine.handlers, name, args, callOptions(progress)));
const seconds = (ms: number) => Math.round(ms) / 1000;

/** Copies of fixture model folders in a temporary folder, added as a user's (caches written beside the models stay out of the repository). */
function userModels(...names: string[]): string {
  const folder = mkdtempSync(join(tmpdir(), 'bench-user-models-'));
  for (const name of names) cpSync(join(repoRoot, 'tests', 'fixtures', 'models', name), join(folder, name), { recursive: true, filter: (path) => !path.includes('.latent-studio') });
  return folder;
}

const CASES = [
  // Sources larger than the model and of another aspect, so fitting crops and resizes with Lanczos; every other file a JPEG.
  // At 64 px the shipped emoji VAE, a trained encoder of realistic cost (about 3 ms an image here), and the untrained
  // fixture, whose encoder (0.12 ms an image) costs far less than reading one file.
  { key: '64', px: 64, model: 'emoji-vae', count: 512, source: [96, 80], reps: 3 },
  { key: '64-tiny', px: 64, model: 'vae-spatial-tiny', count: 512, source: [96, 80], reps: 3 },
  { key: '256', px: 256, model: 'vae-256', count: 256, source: [384, 320], reps: 1 },
] as const;
const BUNDLED = new Set(['emoji-vae']);
const BATCH = 32;

it('encoding throughput: a folder of images through dataset.encode against the bare encoder graph, at 64 and 256 px', async () => {
  const sample = await readSample();
  const models = userModels(...CASES.map((c) => c.model).filter((m) => !BUNDLED.has(m)));
  const configDir = freshConfigDir();
  const engine = await realEngine(configDir);
  await call(engine, 'library.addFolder', { path: models });
  // The bare side: a host of its own over the same folder, sessions made as the engine makes them (CPU, 2 threads).
  const host = new ModelHost({ providers: ['cpu'], intraOpNumThreads: 2 });
  await host.loadFolders([
    { path: join(repoRoot, 'models'), source: 'bundled' },
    { path: models, source: 'user' },
  ]);
  const throughput: Record<string, unknown> = {};
  try {
    for (const c of CASES) {
      const folder = join(mkdtempSync(join(tmpdir(), 'bench-images-')), `${c.px} px images`);
      let t0 = performance.now();
      await writeColourFolder(folder, sample, c.count, c.source[0], c.source[1]);
      const writeMs = performance.now() - t0;
      t0 = performance.now();
      const summary = await call<{ id: string; count: number }>(engine, 'dataset.openFolder', { path: folder });
      const indexMs = performance.now() - t0;
      if (summary.count !== c.count) throw new Error(`${folder}: ${summary.count} images read of ${c.count}`);

      // The same images already fitted (dataset.images with the model: 8-bit, exactly the fitted k / 255), in the model's range, as one tensor.
      const model = host.model(c.model);
      const { channels, height, width, range } = model.manifest.image;
      const size = channels * height * width;
      const { images } = await call<{ images: { data: Uint8Array } }>(engine, 'dataset.images', { dataset: summary.id, model: c.model, indices: Array.from({ length: c.count }, (_, i) => i) });
      const x = fromUnitRange(Float32Array.from(images.data, (v) => v / 255), range);
      const graph = await host.graph(model, 'encoder');
      let bareMeans: Float32Array = new Float32Array(0);
      // CPU time of this process (every thread: onnxruntime's, libuv's, sharp's) per side, to tell CPU-bound from waiting.
      const cpu: { pipeline: number[]; bare: number[]; fit: number[] } = { pipeline: [], bare: [], fit: [] };
      const cpuMs = (since: NodeJS.CpuUsage) => {
        const used = process.cpuUsage(since);
        return (used.user + used.system) / 1000;
      };
      const bare = async () => {
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        const means: Float32Array[] = [];
        for (let start = 0; start < c.count; start += BATCH) {
          const n = Math.min(BATCH, c.count - start);
          const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: float32Tensor([n, channels, height, width], x.subarray(start * size, (start + n) * size)) });
          means.push(out['mean']!.data);
        }
        const ms = performance.now() - t;
        cpu.bare.push(cpuMs(cpu0));
        bareMeans = new Float32Array(means.reduce((n, m) => n + m.length, 0));
        means.reduce((at, m) => (bareMeans.set(m, at), at + m.length), 0);
        return ms;
      };

      // The pipeline on a cold codes cache: its files deleted, and the folder opened again (untimed) so the engine forgets the codes it holds.
      const cacheDir = join(configDir, 'datasets', summary.id);
      let pipelineCodes: Float32Array = new Float32Array(0);
      const pipeline = async () => {
        for (const f of readdirSync(cacheDir)) if (f.startsWith('codes-')) rmSync(join(cacheDir, f));
        await call(engine, 'dataset.openFolder', { path: folder });
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        const { codes } = await call<{ codes: { data: Float32Array } }>(engine, 'dataset.encode', { model: c.model, dataset: summary.id });
        const ms = performance.now() - t;
        cpu.pipeline.push(cpuMs(cpu0));
        pipelineCodes = codes.data;
        return ms;
      };
      // Fitting alone, no encoder: the engine's own reader (FolderDataset.modelImages, 8 files in flight) over the same files in
      // batches of 32, one after the other, as the encode job reads them. (dataset.images is no stand-in: it converts to 8 bits.)
      const reader = (await FolderDataset.fromCache(folder, join(configDir, 'datasets')))!;
      const fit = async () => {
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        for (let start = 0; start < c.count; start += BATCH) await reader.modelImages({ channels, height, width }, Array.from({ length: Math.min(BATCH, c.count - start) }, (_, i) => start + i));
        const ms = performance.now() - t;
        cpu.fit.push(cpuMs(cpu0));
        return ms;
      };
      const load = loadavg()[0]!;
      await pipeline(); // warm-up: the engine's session is made here
      await bare();
      await fit();
      const sides = { pipeline, bare, fit };
      type Side = keyof typeof sides;
      for (const side of Object.keys(cpu) as Side[]) cpu[side].length = 0;
      const rounds: Record<Side, Stats[]> = { pipeline: [], bare: [], fit: [] };
      const orders: Side[][] = [['pipeline', 'bare', 'fit'], ['bare', 'fit', 'pipeline'], ['fit', 'pipeline', 'bare']];
      for (let round = 0; round < 3; round++) {
        for (const side of orders[round]!) {
          const samples: number[] = [];
          for (let r = 0; r < c.reps; r++) samples.push(await sides[side]());
          rounds[side].push(stats(samples));
        }
      }
      const best = (list: Stats[]) => list.reduce((a, b) => (b.median < a.median ? b : a));
      const p = best(rounds.pipeline);
      const b = best(rounds.bare);
      const f = best(rounds.fit);
      const rate = (s: Stats) => c.count / (s.median / 1000);
      // Fitted pixels are k / 255, so dataset.images' 8-bit images are the pipeline's exactly: the two sides' codes should agree to 0.
      let maxDiff = 0;
      for (let i = 0; i < bareMeans.length; i++) maxDiff = Math.max(maxDiff, Math.abs(bareMeans[i]! - pipelineCodes[i]!));
      throughput[c.key] = {
        px: c.px,
        model: c.model,
        images: c.count,
        source: `${c.source[0]}x${c.source[1]}`,
        batch: BATCH,
        writeMs,
        indexMs,
        indexPerSecond: c.count / (indexMs / 1000),
        pipeline: { ...p, perSecond: rate(p), rounds: rounds.pipeline.map((s) => s.median), cpuMsPerImage: stats(cpu.pipeline).median / c.count },
        bare: { ...b, perSecond: rate(b), rounds: rounds.bare.map((s) => s.median), cpuMsPerImage: stats(cpu.bare).median / c.count },
        fit: { ...f, perSecond: rate(f), rounds: rounds.fit.map((s) => s.median), cpuMsPerImage: stats(cpu.fit).median / c.count },
        ratio: rate(p) / rate(b),
        codesMaxAbsDiff: maxDiff,
        loadAtStart: load,
      };
      rmSync(join(folder, '..'), { recursive: true, force: true });
    }
  } finally {
    await host.dispose();
    await engine.dispose();
    rmSync(models, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
  results['throughput'] = throughput;
});

/**
 * A folder of 100,000 real images (28×28 greyscale PNGs: the bundled 10,000 and nine variants of each, ten
 * subfolders by class): written, opened and encoded with fmnist-vae in-process (times, images/s, peak RSS), then
 * shown in the explorer in Chromium by a browser-mode server over the same settings folder, so it opens from the
 * cache: time to points on screen, frame rate while orbiting, hover-pick time. BENCH_FOLDER_IMAGES sets another count.
 */
it('100,000 images of a folder: written, indexed, encoded, then explored in Chromium', async () => {
  const count = Number(process.env.BENCH_FOLDER_IMAGES ?? 100_000);
  const started = performance.now();
  const sample = await readSample();
  const root = mkdtempSync(join(tmpdir(), 'bench-folder-'));
  const name = `Fashion ${count.toLocaleString('en')}`;
  const folder = join(root, name);
  const configDir = freshConfigDir();
  const row: Record<string, unknown> = { images: count, loadAtStart: loadavg()[0] };
  try {
    let t0 = performance.now();
    await writeGreyFolder(folder, sample, count);
    row['writeMs'] = performance.now() - t0;

    const engine = await realEngine(configDir);
    try {
      // Peak resident memory of this process while it indexes and while it encodes, sampled every 50 ms.
      const rss = () => process.memoryUsage().rss;
      const sampled = (work: () => Promise<unknown>) => async () => {
        let peak = rss();
        const timer = setInterval(() => (peak = Math.max(peak, rss())), 50);
        const t = performance.now();
        try {
          await work();
        } finally {
          clearInterval(timer);
        }
        return { ms: performance.now() - t, peakRssMB: Math.max(peak, rss()) / 2 ** 20 };
      };
      row['rssBeforeMB'] = rss() / 2 ** 20;
      let id = '';
      const index = await sampled(async () => {
        id = (await call<{ id: string; count: number }>(engine, 'dataset.openFolder', { path: folder })).id;
      })();
      row['index'] = { ...index, perSecond: count / (index.ms / 1000) };
      const encode = await sampled(() => call(engine, 'dataset.encode', { model: 'fmnist-vae', dataset: id }))();
      row['encode'] = { ...encode, model: 'fmnist-vae', perSecond: count / (encode.ms / 1000) };
      row['maxRssMB'] = process.resourceUsage().maxRSS / 1024;
      const cache = join(configDir, 'datasets', id);
      row['cacheMB'] = readdirSync(cache).reduce((n, f) => n + readFileSync(join(cache, f)).length, 0) / 2 ** 20;
    } finally {
      await engine.dispose();
    }

    const server = await launchServer(configDir);
    const browser = await chromium.launch(CHROMIUM_OPTIONS);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      t0 = performance.now();
      await page.goto(`${server.url}&bench=1#explore`);
      await page.getByLabel('Dataset', { exact: true }).selectOption({ label: `${name} · ${count.toLocaleString('en')}` });
      await page.getByText(`${count} points`).waitFor({ timeout: 180_000 });
      row['pointsShownMs'] = performance.now() - t0;
      row['explorer'] = await orbitAndPick(page);
      await page.close();
      // In the same browser and server, as a reference: the bundled dataset's points jittered up to the same count (browser.perf.ts's rows).
      const synthetic = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await synthetic.goto(`${server.url}&synthetic=${count}&bench=1#explore`);
      await synthetic.getByText(`${count} points`).waitFor({ timeout: 60_000 });
      const shown = await synthetic.getByLabel('Dataset', { exact: true }).evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent ?? '');
      row['syntheticExplorer'] = { dataset: shown, ...(await orbitAndPick(synthetic)) };
    } finally {
      await browser.close();
      server.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
  row['totalMs'] = performance.now() - started;
  results['folder100k'] = row;
  console.log(`folder of ${count}: ${JSON.stringify(row, (k, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v), 1)} (total ${seconds(row['totalMs'] as number)} s)`);
}, 60 * 60_000);
