import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { NormalStream } from '../../electron/engine/diffusion/noise';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { averagePool } from '../../electron/engine/ops/diffusionPreview';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';
import { parityErrors } from '../helpers/parity';

const folder = join(repoRoot, 'tests', 'fixtures', 'models', 'vae-spatial-tiny');
type Tensor = { shape: number[]; data: Float32Array };

describe('a Stable-Diffusion-style VAE with a spatial latent [4, 8, 8] at 3×64×64', () => {
  it('runs in ONNX Runtime as in PyTorch (parity ≤ 1e-4)', async () => {
    const errors = await parityErrors(folder);
    expect(Object.keys(errors)).toEqual(['encoder mean', 'encoder logvar', 'decoder x']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
  });

  describe('through the engine', () => {
    let engine: Engine;
    const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
    beforeAll(async () => {
      engine = await realEngine();
      ok(await call('library.addFolder', { path: folder }));
    });
    afterAll(() => engine.dispose());

    it('keeps codes’ shape from encode to decode, and takes them flat too', async () => {
      const images = float32Tensor([2, 3, 64, 64], Float32Array.from(new NormalStream(1).next(2 * 3 * 64 * 64), (v) => 0.5 + 0.2 * Math.tanh(v)));
      const { mean } = ok<{ mean: Tensor }>(await call('model.encode', { model: 'vae-spatial-tiny', images }));
      expect(mean.shape).toEqual([2, 4, 8, 8]);
      const shaped = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: mean })).images;
      const flat = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([2, 256], mean.data) })).images;
      expect(shaped.shape).toEqual([2, 3, 64, 64]);
      expect(flat.data).toEqual(shaped.data);
      expect(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([1, 4, 16, 4], new Float32Array(256)) })).toMatchObject({
        ok: false,
        error: { field: 'args.z.shape', message: 'model "vae-spatial-tiny" expects latent codes of shape [batch, 4, 8, 8]; got [1, 4, 16, 4]' },
      });
    });

    it('explores the shipped emoji test split, which fits its 64×64 colour images: encoded, projected and labelled by design system', async () => {
      const { datasets } = ok<{ datasets: { id: string; name: string; count: number; channels: number; height: number; labels: string[]; labelCounts: number[] }[] }>(await call('dataset.list', {}));
      const emoji = datasets.find((d) => d.id === 'bundled-emoji-64')! as (typeof datasets)[number] & { labelSets: { name: string; labels: string[] }[] };
      expect(emoji).toMatchObject({ channels: 3, height: 64, labels: ['Noto', 'Twemoji', 'OpenMoji', 'Fluent'] });
      // Also labelled by Unicode category and subcategory: Explore can colour by either.
      expect(emoji.labelSets.map((s) => s.name)).toEqual(['design system', 'category', 'subcategory']);
      const category = ok<{ name: string; names: string[]; labels: number[] }>(await call('dataset.labels', { dataset: emoji.id, set: 1 }));
      expect(category.names).toContain('Smileys & Emotion');
      expect(category.labels).toHaveLength(emoji.count);
      expect(new Set(category.labels).size).toBe(9);
      expect(await call('dataset.labels', { dataset: emoji.id, set: 3 })).toMatchObject({ ok: false, error: { field: 'args.set', message: expect.stringMatching(/has 3 label sets; there is no set 3/) } });
      const fashion = datasets.find((d) => d.id === 'bundled')! as unknown as { labelSets: { name: string }[] };
      expect(fashion.labelSets.map((s) => s.name)).toEqual(['class']);
      expect(emoji.labelCounts.every((n) => n > 100)).toBe(true);
      const { codes, labels } = ok<{ codes: Tensor; labels: number[] }>(await call('dataset.encode', { model: 'vae-spatial-tiny', dataset: emoji.id }));
      expect(codes.shape).toEqual([emoji.count, 4, 8, 8]);
      expect(labels).toHaveLength(emoji.count);
      // The same images as the model takes them: dataset.images and an encode of them give the dataset's codes.
      const { images } = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('dataset.images', { dataset: emoji.id, indices: [0, 1], model: 'vae-spatial-tiny' }));
      const { mean } = ok<{ mean: Tensor }>(await call('model.encode', { model: 'vae-spatial-tiny', images: float32Tensor([2, 3, 64, 64], Float32Array.from(images.data, (v) => v / 255)) }));
      for (let i = 0; i < 512; i++) expect(mean.data[i]).toBeCloseTo(codes.data[i]!, 4);
      const projected = ok<{ coords: Tensor }>(await call('dataset.project', { model: 'vae-spatial-tiny', dataset: emoji.id }));
      expect(projected.coords.shape[0]).toBe(emoji.count);
      // The Fashion-MNIST sample does not fit this model: it is refused with what would.
      expect(await call('dataset.encode', { model: 'vae-spatial-tiny' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/takes 64×64×3 images; .* holds 28×28×1/) } });
    });

    it('interpolates between spatial codes and returns the path in the latent’s shape', async () => {
      const keyframes = float32Tensor([2, 4, 8, 8], new NormalStream(2).next(512));
      const r = ok<{ codes: Tensor; images: Tensor }>(await call('latent.interpolate', { model: 'vae-spatial-tiny', keyframes, frames: 5, method: 'slerp' }));
      expect(r.codes.shape).toEqual([5, 4, 8, 8]);
      expect(r.images.shape).toEqual([5, 3, 64, 64]);
      expect(r.images.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(r.codes.data.subarray(0, 256))).toEqual(Array.from(keyframes.data.subarray(0, 256)));
    });
  });
});

describe('latent diffusion over the spatial VAE, as Stable Diffusion 1.x is set up', () => {
  const fixtures = join(repoRoot, 'tests', 'fixtures', 'models');
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
    ok(await call('library.addFolder', { path: fixtures }));
  });
  afterAll(() => engine.dispose());

  it('runs in ONNX Runtime as in PyTorch (parity ≤ 1e-4)', async () => {
    const errors = await parityErrors(join(fixtures, 'ldm-spatial-tiny'));
    expect(Object.keys(errors)).toEqual(['denoiser eps']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
  });

  it('a 256 px strip reports each run of frames as it is decoded, and a cancel stops it before the next run', async () => {
    const keyframes = float32Tensor([2, 4, 32, 32], new NormalStream(3).next(2 * 4096));
    const args = { model: 'vae-256', keyframes, frames: 8, method: 'slerp' };
    const progress: { done: number; total: number }[] = [];
    const whole = ok<{ images: { shape: number[] } }>(await dispatchCall(engine.handlers, 'latent.interpolate', args, callOptions(progress)));
    expect(whole.images.shape).toEqual([8, 3, 256, 256]);
    // Two 256 px images a run (RUN_BYTES).
    expect(progress).toEqual([2, 4, 6, 8].map((done) => ({ done, total: 8 })));
    // Asked for progressively, each report carries its run's frames, which together are the strip.
    const runs: { done: number; images: { shape: number[]; data: Uint8Array } }[] = [];
    const again = ok<{ images: { data: Uint8Array } }>(await dispatchCall(engine.handlers, 'latent.interpolate', { ...args, progressive: true }, callOptions(runs)));
    expect(runs.map((r) => [r.done, r.images.shape[0]])).toEqual([2, 4, 6, 8].map((done) => [done, 2]));
    expect(Uint8Array.from(runs.flatMap((r) => [...r.images.data]))).toEqual(again.images.data);

    const controller = new AbortController();
    const seen: { done: number; total: number }[] = [];
    const stopped = await dispatchCall(engine.handlers, 'latent.interpolate', args, {
      signal: controller.signal,
      client: 1,
      onProgress: (p: unknown) => {
        seen.push(p as { done: number; total: number });
        controller.abort();
      },
    });
    expect(stopped).toMatchObject({ ok: false, error: { code: 'cancelled', message: 'decoding was cancelled after 2 of 8 images' } });
    expect(seen).toEqual([{ done: 2, total: 8 }]);
  });

  it('a 256 px sample grid reports its runs as they finish; one image (a slider’s) reports nothing', async () => {
    const codes = (n: number) => float32Tensor([n, 4, 32, 32], new NormalStream(4).next(n * 4096));
    const progress: unknown[] = [];
    const grid = ok<{ images: { shape: number[] } }>(await dispatchCall(engine.handlers, 'model.preview', { model: 'vae-256', z: codes(5) }, callOptions(progress)));
    expect(grid.images.shape).toEqual([5, 3, 256, 256]);
    expect(progress).toEqual([2, 4, 5].map((done) => ({ done, total: 5 })));
    const single: unknown[] = [];
    ok(await dispatchCall(engine.handlers, 'model.preview', { model: 'vae-256', z: codes(1), lane: 'edit' }, callOptions(single)));
    expect(single).toEqual([]);
  });

  it('a progressive sample grid carries each run’s images with its report: together they are the grid, and a grid stopped midway keeps what came', async () => {
    const z = float32Tensor([5, 4, 32, 32], new NormalStream(4).next(5 * 4096));
    const reports: { done: number; total: number; images: { shape: number[]; data: Uint8Array } }[] = [];
    const grid = ok<{ images: { shape: number[]; data: Uint8Array } }>(await dispatchCall(engine.handlers, 'model.preview', { model: 'vae-256', z, maxSide: 128, progressive: true }, callOptions(reports)));
    expect(reports.map((r) => [r.done, r.images.shape])).toEqual([
      [2, [2, 3, 128, 128]],
      [4, [2, 3, 128, 128]],
      [5, [1, 3, 128, 128]],
    ]);
    const joined = new Uint8Array(grid.images.data.length);
    let at = 0;
    for (const r of reports) joined.set(r.images.data, (at += r.images.data.length) - r.images.data.length);
    expect(joined).toEqual(grid.images.data);

    // Stopped after its first run, the grid's remaining codes decoded later give the same images.
    const controller = new AbortController();
    const first: typeof reports = [];
    const stopped = await dispatchCall(engine.handlers, 'model.preview', { model: 'vae-256', z, maxSide: 128, progressive: true }, {
      signal: controller.signal,
      client: 1,
      onProgress: (p: unknown) => {
        first.push(p as (typeof reports)[number]);
        controller.abort();
      },
    });
    expect(stopped).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    const rest = ok<{ images: { data: Uint8Array } }>(await call('model.preview', { model: 'vae-256', z: float32Tensor([3, 4, 32, 32], z.data.subarray(2 * 4096)), maxSide: 128 }));
    expect(Uint8Array.from([...first[0]!.images.data, ...rest.images.data])).toEqual(grid.images.data);
  });

  it('a grid asked for with reuse is kept by the engine: stopped part way, asked again, it decodes only the rest; a third time, nothing', async () => {
    const z = float32Tensor([5, 4, 32, 32], new NormalStream(9).next(5 * 4096));
    const args = { model: 'vae-256', z, maxSide: 128, progressive: true, reuse: true };
    const reference = ok<{ images: { data: Uint8Array } }>(await call('model.preview', { model: 'vae-256', z, maxSide: 128 })).images.data;
    const controller = new AbortController();
    const stopped = await dispatchCall(engine.handlers, 'model.preview', args, { signal: controller.signal, client: 1, onProgress: () => controller.abort() });
    expect(stopped).toMatchObject({ ok: false, error: { code: 'cancelled' } });

    // From another window: the two pictures kept come in the first report, then the other three are decoded.
    const reports: { done: number; images: { shape: number[] } }[] = [];
    const again = ok<{ images: { data: Uint8Array } }>(await dispatchCall(engine.handlers, 'model.preview', args, callOptions(reports)));
    expect(reports.map((r) => [r.done, r.images.shape[0]])).toEqual([
      [2, 2],
      [4, 2],
      [5, 1],
    ]);
    expect(again.images.data).toEqual(reference);
    const third: unknown[] = [];
    expect(ok<{ images: { data: Uint8Array } }>(await dispatchCall(engine.handlers, 'model.preview', args, callOptions(third))).images.data).toEqual(reference);
    expect(third).toEqual([]);
    const memory = ok<{ kinds: { kind: string; bytes: number }[] }>(await call('app.memory', {}));
    expect(memory.kinds.find((k) => k.kind === 'previews')!.bytes).toBeGreaterThanOrEqual(5 * 3 * 128 * 128);
  });

  it('its 256 px sibling over vae-256, the speed fixture of the benchmarks, runs as in PyTorch too and previews at latent resolution where decoding every step would cost seconds', async () => {
    const errors = await parityErrors(join(fixtures, 'ldm-256'));
    expect(Object.keys(errors)).toEqual(['denoiser eps']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
    // 100 steps would decode 201 images for their previews (about 10 s on this CPU): the 32×32 projection instead.
    type Run = { previewKind: string; xt: { shape: number[] }; final: Tensor };
    const run = ok<Run>(await call('diffusion.sample', { model: 'ldm-256', sampler: { kind: 'ddim', eta: 0 }, steps: 100, seed: 4, batch: 1 }));
    expect(run.previewKind).toBe('linear');
    expect(run.xt.shape).toEqual([101, 1, 3, 32, 32]);
    expect(run.final.shape).toEqual([1, 3, 256, 256]);
    // Three steps decode 7 (about 0.5 s): decoded previews, pooled to 128 px.
    const short = ok<Run>(await call('diffusion.sample', { model: 'ldm-256', sampler: { kind: 'ddim', eta: 0 }, steps: 3, seed: 4, batch: 1 }));
    expect(short.previewKind).toBe('decode');
    expect(short.xt.shape).toEqual([4, 1, 3, 128, 128]);
  });

  it('model.preview with maxSide gives the decode averaged down by a whole factor, as bytes (a sample grid of small tiles)', async () => {
    const z = float32Tensor([2, 4, 32, 32], Float32Array.from({ length: 2 * 4096 }, (_, i) => Math.sin(i * 0.1)));
    const full = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-256', z })).images;
    const small = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('model.preview', { model: 'vae-256', z, maxSide: 128 })).images;
    expect(small.shape).toEqual([2, 3, 128, 128]);
    const pooled = averagePool(full.data, 2, 3, 256, 256, 2);
    expect(Array.from(small.data).every((v, i) => Math.abs(v / 255 - Math.min(1, Math.max(0, pooled[i]!))) <= 0.5 / 255 + 1e-6)).toBe(true);
    // A side no whole factor brings within maxSide is kept; without maxSide nothing changes.
    expect(ok<{ images: { shape: number[] } }>(await call('model.preview', { model: 'vae-256', z, maxSide: 100 })).images.shape).toEqual([2, 3, 64, 64]);
    expect(ok<{ images: { shape: number[] } }>(await call('model.preview', { model: 'vae-256', z })).images.shape).toEqual([2, 3, 256, 256]);
    expect(await call('model.preview', { model: 'vae-256', z, maxSide: 2 })).toMatchObject({ ok: false, error: { field: 'args.maxSide' } });
  });

  it('samples with leading spacing and offset 1, and decodes x / 0.18215 through the VAE', async () => {
    const run = ok<{ timesteps: number[]; xt: { shape: number[] }; final: Tensor; raw: Tensor }>(await call('diffusion.sample', { model: 'ldm-spatial-tiny', sampler: { kind: 'ddim', eta: 0 }, steps: 5, seed: 4, batch: 1 }));
    expect(run.timesteps).toEqual([801, 601, 401, 201, 1]);
    // Five steps decode 11 images for their previews, a few milliseconds each: the steps are previewed decoded, at 64×64.
    expect(run.xt.shape).toEqual([6, 1, 3, 64, 64]);
    expect(run.final.shape).toEqual([1, 3, 64, 64]);
    expect(run.raw.shape).toEqual([6, 1, 4, 8, 8]);
    const last = run.raw.data.subarray(5 * 256);
    const { images } = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([1, 4, 8, 8], last.map((v) => v / 0.18215)) }));
    expect(Math.max(...images.data.map((v, i) => Math.abs(v - run.final.data[i]!)))).toBeLessThan(1e-5);
  });

  it('an SD3-style shift moves latents before the scale: the VAE decodes x / scale + shift', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ldm-shift-'));
    for (const name of ['vae-spatial-tiny', 'ldm-spatial-tiny']) cpSync(join(fixtures, name), join(root, name), { recursive: true });
    const manifestPath = join(root, 'ldm-spatial-tiny', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, diffusion: { ...manifest.diffusion, latentShift: 0.5 } }));
    const other = await realEngine();
    try {
      ok(await dispatchCall(other.handlers, 'library.addFolder', { path: root }, callOptions()));
      const run = ok<{ final: Tensor; raw: Tensor }>(await dispatchCall(other.handlers, 'diffusion.sample', { model: 'ldm-spatial-tiny', sampler: { kind: 'ddim', eta: 0 }, steps: 3, seed: 4, batch: 1 }, callOptions()));
      const last = run.raw.data.subarray(3 * 256);
      const { images } = ok<{ images: Tensor }>(await dispatchCall(other.handlers, 'model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([1, 4, 8, 8], last.map((v) => v / 0.18215 + 0.5)) }, callOptions()));
      expect(Math.max(...images.data.map((v, i) => Math.abs(v - run.final.data[i]!)))).toBeLessThan(1e-5);
    } finally {
      await other.dispose();
    }
  });
});
