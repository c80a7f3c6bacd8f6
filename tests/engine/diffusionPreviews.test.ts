import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { averagePool, DECODED_PREVIEWS_BUDGET_MS, decodedPreviewsFit, fitLinearPreview, TIMING_BUDGET_MS, TIMING_ROUNDS } from '../../electron/engine/ops/diffusionPreview';
import { ModelHost } from '../../electron/engine/models/host';
import { DiffusionSpace, PREVIEW_BUDGET_BYTES, PREVIEW_MIN_POSITIONS, RAW_BUDGET_BYTES, sampleTrajectory } from '../../electron/engine/ops/diffusionSampling';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';

type Tensor = { shape: number[]; data: Float32Array };
interface Run {
  previewKind: string;
  timesteps: number[];
  previews: number[];
  xt: { shape: number[]; data: Uint8Array };
  x0: { shape: number[]; data: Uint8Array };
  final: Tensor;
  stored: number[];
  raw: Tensor;
  rawX0: Tensor;
}
const LDM = 'ldm-spatial-tiny';
const psnr = (a: ArrayLike<number>, b: ArrayLike<number>) => 10 * Math.log10(1 / (Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const bytes = (run: Run) => [run.xt, run.x0, run.final, run.raw, run.rawX0].reduce((n, t) => n + t.data.byteLength, 0);
/** The [batch, ...] slice of a [positions, batch, ...] tensor at one slot. */
const slice = (t: Tensor, slot: number) => {
  const size = t.data.length / t.shape[0]!;
  return float32Tensor(t.shape.slice(1), t.data.slice(slot * size, (slot + 1) * size));
};

describe('cheap diffusion previews and bounded trajectories', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  const decode = async (x: Float32Array, batch: number) => ok<{ images: Tensor }>(await call('diffusion.decode', { model: LDM, x: float32Tensor([batch, 4, 8, 8], x) })).images.data;
  beforeAll(async () => {
    engine = await realEngine();
    ok(await call('library.addFolder', { path: join(repoRoot, 'tests', 'fixtures', 'models') }));
  });
  afterAll(() => engine.dispose());

  it("times the decoder again while that is cheap and keeps the fastest, so one decode slowed by a busy machine does not make a small model's previews projections", async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // The first timed decode stalls 120 ms (15 ms an image, where this decoder takes under 1 ms alone), as when another
    // process holds the cores.
    let calls = 0;
    const stalledOnce = async (x: Float32Array, batch: number) => {
      if (calls++ === 1) await sleep(120);
      return decode(x, batch);
    };
    const fit = await fitLinearPreview([4, 8, 8], { channels: 3, height: 64, width: 64 }, stalledOnce);
    expect(calls).toBe(1 + TIMING_ROUNDS);
    expect(fit.decodeMsPerImage).toBeLessThan(120 / 8 / 3);
    // 50 steps at batch 4 then fit the budget, which the stalled reading alone would not have.
    expect(decodedPreviewsFit(fit.decodeMsPerImage, 50, 4)).toBe(true);
    expect(decodedPreviewsFit(120 / 8, 50, 4)).toBe(false);

    // A decoder whose one batch takes longer than the timing budget is timed once, so a large model's first run is not
    // held up.
    calls = 0;
    const slow = async (x: Float32Array, batch: number) => {
      calls++;
      await sleep(TIMING_BUDGET_MS + 20);
      return decode(x, batch);
    };
    const slowFit = await fitLinearPreview([4, 8, 8], { channels: 3, height: 64, width: 64 }, slow);
    expect(calls).toBe(2);
    expect(slowFit.decodeMsPerImage).toBeGreaterThanOrEqual((TIMING_BUDGET_MS + 20) / 8);
    // The fit itself is the same whichever rounds were timed.
    expect(Array.from(slowFit.matrix)).toEqual(Array.from(fit.matrix));
  });

  it('fits a linear latent → RGB projection against VAE decodes pooled to the latent grid, and previews with it', async () => {
    const fit = await fitLinearPreview([4, 8, 8], { channels: 3, height: 64, width: 64 }, decode);
    expect(fit.matrix).toHaveLength(3 * 5);
    console.info(`ldm-spatial-tiny linear preview: PSNR ${fit.psnr.toFixed(2)} dB against the pooled decode (fit samples); decode ${fit.decodeMsPerImage.toFixed(2)} ms an image`);
    expect(fit.psnr).toBeGreaterThan(20);
    expect(fit.decodeMsPerImage).toBeGreaterThan(0);

    // A run whose decodes would cost more than their budget (500 steps at batch 16: 16,016 decodes, 11 s at the
    // 0.7 ms an image this decoder took alone, 2 cores): every position's preview is the projection at 8×8, close to
    // the decode pooled to 8×8.
    const [steps, batch] = [500, 16];
    const run = ok<Run>(await call('diffusion.sample', { model: LDM, sampler: { kind: 'ddim', eta: 0 }, steps, seed: 2, batch }));
    expect(run.previewKind).toBe('linear');
    expect(run.xt.shape).toEqual([steps + 1, batch, 3, 8, 8]);
    expect(run.x0.shape).toEqual([steps, batch, 3, 8, 8]);
    // Held out: the start, x_T ~ N(0, I) as the fit's samples but from another seed, decoded in full and pooled.
    const start = ok<{ images: Tensor }>(await call('diffusion.decode', { model: LDM, x: slice(run.raw, 0) })).images;
    const heldOut = psnr(Array.from(run.xt.data.subarray(0, batch * 192), (v) => v / 255), averagePool(start.data, batch, 3, 64, 64, 8));
    // Logged, not asserted: the sampled x_0 of this untrained fixture lies far off N(0, I), where no linear fit can hold.
    const pooled = averagePool(run.final.data, batch, 3, 64, 64, 8);
    const previewOfLast = Array.from(run.xt.data.subarray(steps * batch * 192), (v) => v / 255);
    const mean = pooled.reduce((a, b) => a + b, 0) / pooled.length;
    const [quality, flat] = [psnr(previewOfLast, pooled), psnr(new Float32Array(pooled.length).fill(mean), pooled)];
    console.info(`ldm-spatial-tiny linear preview: ${heldOut.toFixed(2)} dB on held-out x_T, ${quality.toFixed(2)} dB on a sampled x_0 (flat mean grey: ${flat.toFixed(2)} dB)`);
    expect(heldOut).toBeGreaterThan(20);
  });

  it('a run whose decodes fit their budget previews every step decoded: the bundled 28 px latent model shows 28×28, not its 7×7 latent', async () => {
    // The budget is a cost: measured time an image × (2 steps + 1) × batch.
    expect(decodedPreviewsFit(0.75, 50, 4)).toBe(true); // a 28 px decoder: 0.3 s
    expect(decodedPreviewsFit(65, 50, 1)).toBe(false); // a 256 px VAE on this CPU: 6.6 s
    expect(decodedPreviewsFit(65, 3, 1)).toBe(true); // the same VAE, three steps: 0.5 s
    expect(decodedPreviewsFit(1, 999, 1, DECODED_PREVIEWS_BUDGET_MS)).toBe(true);
    expect(decodedPreviewsFit(1, 1000, 1, DECODED_PREVIEWS_BUDGET_MS)).toBe(false);

    const model = 'fmnist-ddpm-latent-cond';
    const run = ok<Run>(await call('diffusion.sample', { model, sampler: { kind: 'ddim', eta: 0 }, steps: 10, seed: 3, batch: 2, label: 5 }));
    expect(run.previewKind).toBe('decode');
    expect(run.xt.shape).toEqual([11, 2, 1, 28, 28]);
    expect(run.x0.shape).toEqual([10, 2, 1, 28, 28]);
    // Each preview is the decode of the raw values at its position, as bytes: x_t and x̂₀ at step 5, and the end.
    for (const [previews, raw, slot, at] of [[run.xt, run.raw, 5, 5], [run.x0, run.rawX0, 4, 5], [run.xt, run.raw, 10, 10]] as const) {
      const bytes = ok<{ images: { data: Uint8Array } }>(await call('diffusion.preview', { model, x: slice(raw, run.stored.indexOf(at)) })).images.data;
      expect(maxDiff(previews.data.subarray(slot * 2 * 784, (slot + 1) * 2 * 784), bytes)).toBeLessThanOrEqual(1);
    }
    expect(maxDiff(Array.from(run.xt.data.subarray(10 * 2 * 784), (v) => v / 255), run.final.data)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('diffusion.decode is the VAE decode of x / scale at full resolution, for a stored x_t and x̂₀', async () => {
    const run = ok<Run>(await call('diffusion.sample', { model: LDM, sampler: { kind: 'ddim', eta: 0 }, steps: 6, seed: 5, batch: 1 }));
    for (const x of [slice(run.raw, 3), slice(run.rawX0, 3)]) {
      const { images } = ok<{ images: Tensor }>(await call('diffusion.decode', { model: LDM, x }));
      expect(images.shape).toEqual([1, 3, 64, 64]);
      const vae = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([1, 4, 8, 8], x.data.map((v) => v / 0.18215)) }));
      expect(maxDiff(images.data, vae.images.data)).toBeLessThan(1e-6);
    }
    // The last position's full decode is the result's final image.
    const { images } = ok<{ images: Tensor }>(await call('diffusion.decode', { model: LDM, x: slice(run.raw, run.stored.length - 1) }));
    expect(maxDiff(images.data, run.final.data)).toBeLessThan(1e-6);
    expect(await call('diffusion.decode', { model: LDM, x: float32Tensor([1, 16], new Float32Array(16)) })).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'args.x.shape' } });
    // diffusion.preview: the same images as bytes, rounded as a canvas rounds them.
    const bytes = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('diffusion.preview', { model: LDM, x: slice(run.raw, run.stored.length - 1) })).images;
    expect(bytes.shape).toEqual([1, 3, 64, 64]);
    expect(bytes.data).toBeInstanceOf(Uint8Array);
    expect(maxDiff(Array.from(bytes.data, (v) => v / 255), run.final.data)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    expect(await call('diffusion.preview', { model: LDM, x: float32Tensor([1, 16], new Float32Array(16)) })).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'args.x.shape' } });
    // diffusion.exportGif: the GIF of those bytes, written without them crossing to the window and back.
    const x = float32Tensor([3, 4, 8, 8], Float32Array.from([0, run.stored.length >> 1, run.stored.length - 1].flatMap((k) => Array.from(slice(run.raw, k).data.subarray(0, 256)))));
    const frames = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('diffusion.preview', { model: LDM, x })).images;
    const timing = { scale: 2, frameMs: [100, 100, 400] };
    const viaPage = ok<{ gif: Uint8Array }>(await call('image.exportGif', { frames, ...timing })).gif;
    const inEngine = ok<{ gif: Uint8Array }>(await call('diffusion.exportGif', { model: LDM, x, ...timing })).gif;
    expect(new TextDecoder().decode(inEngine.subarray(0, 6))).toBe('GIF89a');
    expect(Buffer.compare(inEngine, viaPage)).toBe(0);
    expect(await call('diffusion.exportGif', { model: LDM, x, scale: 2, frameMs: [100] })).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'args.frameMs' } });
  });

  it('a 1000-step run keeps uint8 previews and raw values within a fixed budget; a branch from a stored position retraces the run', async () => {
    const args = { model: LDM, sampler: { kind: 'ddim', eta: 0 }, steps: 1000, seed: 9, batch: 4 };
    const run = ok<Run>(await call('diffusion.sample', args));
    const positions = 1001;
    expect(run.previewKind).toBe('linear');
    expect(run.xt.data).toBeInstanceOf(Uint8Array);
    expect(run.xt.shape).toEqual([positions, 4, 3, 8, 8]);
    // Evenly spaced positions within the raw budget, the first and the last included.
    expect(run.stored[0]).toBe(0);
    expect(run.stored.at(-1)).toBe(1000);
    expect(run.stored.length).toBeLessThan(positions);
    expect(run.raw.data.byteLength + run.rawX0.data.byteLength).toBeLessThanOrEqual(RAW_BUDGET_BYTES);
    const floatFullRes = (2 * positions - 1) * 4 * 3 * 64 * 64 * 4;
    console.info(`1000-step DDIM at batch 4: ${(bytes(run) / 2 ** 20).toFixed(1)} MiB returned; float32 full-resolution x_t and x̂₀ alone would be ${(floatFullRes / 2 ** 20).toFixed(0)} MiB`);
    expect(bytes(run)).toBeLessThan(RAW_BUDGET_BYTES + positions * 2 * 4 * 192 + 4 * 3 * 64 * 64 * 4);

    // The stored position nearest step 500 branches exactly as the run continued from it.
    const slot = run.stored.findIndex((p) => p >= 500);
    const at = run.stored[slot]!;
    const same = ok<Run>(await call('diffusion.sample', { ...args, resume: { x: slice(run.raw, slot), t: run.timesteps[at]! } }));
    expect(same.timesteps).toEqual(run.timesteps.slice(at));
    expect(maxDiff(same.final.data, run.final.data)).toBeLessThan(1e-4);
    expect(maxDiff(slice(same.raw, same.stored.length - 1).data, slice(run.raw, run.stored.length - 1).data)).toBeLessThan(1e-4);
  }, 120_000);

  it('a pixel model keeps raw x at evenly spaced positions once a run outgrows the budget', async () => {
    const run = ok<Run>(await call('diffusion.sample', { model: 'fmnist-ddpm-pixel', sampler: { kind: 'ddim', eta: 0 }, steps: 200, seed: 1, batch: 8 }));
    expect(run.xt.shape).toEqual([201, 8, 1, 28, 28]);
    expect(run.final.shape).toEqual([8, 1, 28, 28]);
    expect(run.stored.length).toBeLessThan(201);
    expect(run.stored.length).toBeGreaterThanOrEqual(65);
    expect(run.stored.at(-1)).toBe(200);
    expect(run.raw.shape).toEqual([run.stored.length, 8, 1, 28, 28]);
    expect(run.raw.data.byteLength + run.rawX0.data.byteLength).toBeLessThanOrEqual(RAW_BUDGET_BYTES);
    // Pixel previews are x itself: the last one is the final image, rounded to uint8.
    expect(maxDiff(Array.from(run.xt.data.subarray(200 * 8 * 784), (v) => v / 255), run.final.data)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  }, 300_000);

  it('keeps previews at evenly spaced positions once steps × batch outgrow their budget, each the preview streamed at its step', async () => {
    // fmnist-ddpm-latent's previews are its VAE's 28×28 decodes: 1000 steps at batch 16 are 24 MiB of them.
    const steps: { step: number; xt: Uint8Array; x0: Uint8Array }[] = [];
    const options = {
      ...callOptions(),
      onProgress: (p: unknown) => {
        const { step, xt, x0 } = p as { step: number; xt: { data: Uint8Array }; x0: { data: Uint8Array } };
        if (step % 100 === 0) steps.push({ step, xt: xt.data.slice(), x0: x0.data.slice() });
      },
    };
    const outcome = await dispatchCall(engine.handlers, 'diffusion.sample', { model: 'fmnist-ddpm-latent', sampler: { kind: 'ddim', eta: 0 }, steps: 1000, seed: 4, batch: 16 }, options);
    const run = ok<Run>(outcome);
    const perPosition = 16 * 784;
    expect(run.previews[0]).toBe(0);
    expect(run.previews.at(-1)).toBe(1000);
    expect(run.previews.length).toBeLessThan(1001);
    expect(run.previews.length).toBeGreaterThanOrEqual(PREVIEW_MIN_POSITIONS);
    expect(run.xt.shape).toEqual([run.previews.length, 16, 1, 28, 28]);
    expect(run.x0.shape).toEqual([run.previews.length - 1, 16, 1, 28, 28]);
    expect(run.xt.data.byteLength + run.x0.data.byteLength).toBeLessThanOrEqual(PREVIEW_BUDGET_BYTES);
    // Each kept position holds what was streamed at its step: x_t in slot k, x̂₀ in slot k − 1.
    let checked = 0;
    for (const { step, xt, x0 } of steps) {
      const k = run.previews.indexOf(step);
      if (k < 0) continue;
      expect(run.xt.data.subarray(k * perPosition, (k + 1) * perPosition)).toEqual(xt);
      expect(run.x0.data.subarray((k - 1) * perPosition, k * perPosition)).toEqual(x0);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    console.info(`1000-step DDIM at batch 16 (fmnist-ddpm-latent): ${run.previews.length} of 1001 positions' previews kept, ${((run.xt.data.byteLength + run.x0.data.byteLength) / 2 ** 20).toFixed(1)} MiB (all would be ${((2001 * perPosition) / 2 ** 20).toFixed(1)} MiB)`);
  }, 120_000);
});

describe('the decoder cost behind the choice of previews', () => {
  let host: ModelHost;
  beforeAll(async () => {
    host = new ModelHost({ providers: ['cpu'] });
    await host.loadFolders([{ path: join(repoRoot, 'tests', 'fixtures', 'models'), source: 'user' }]);
  });
  afterAll(() => host.dispose());

  it('a cost measured while the engine was busy is corrected by the next run’s final decode', async () => {
    const space = new DiffusionSpace(host, host.model(LDM));
    const job = { signal: new AbortController().signal, progress: () => {} };
    const request = { sampler: { kind: 'ddim' as const, eta: 0 }, steps: 10, seed: 1, batch: 2 };
    // The decoder's estimate as a busy engine might have measured it: 1 s an image, so 42 decodes are far past 2 s.
    const { linear } = await space.preview({ steps: 1_000_000, batch: 16 });
    expect(linear).toBeDefined();
    linear!.decodeMsPerImage = 1000;
    const first = await sampleTrajectory(host, space, request, job);
    expect(first.previewKind).toBe('linear');
    // Its final decode (two images) took milliseconds: the estimate follows, and the same run now previews decoded.
    expect(linear!.decodeMsPerImage).toBeLessThan(50);
    const second = await sampleTrajectory(host, space, request, job);
    expect(second.previewKind).toBe('decode');
    expect(second.xt.shape).toEqual([11, 2, 3, 64, 64]);
  });
});
