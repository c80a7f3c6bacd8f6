import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine } from '../helpers/engine';

interface Run {
  timesteps: number[];
  noiseLevels: number[];
  xt: { shape: number[]; data: Uint8Array };
  x0: { shape: number[]; data: Uint8Array };
  final: { shape: number[]; data: Float32Array };
  stored: number[];
  raw: { shape: number[]; data: Float32Array };
  rawX0: { shape: number[]; data: Float32Array };
}
const MODEL = 'fmnist-ddpm-latent';
const last = (run: Run) => run.final.data;
const psnr = (a: Float32Array, b: Float32Array) => 10 * Math.log10(1 / (a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length));

describe('diffusion sampling jobs on the real latent DDPM', () => {
  let engine: Engine;
  const call = (name: string, args: unknown, progress: unknown[] = [], signal?: AbortSignal) => dispatchCall(engine.handlers, name, args, callOptions(progress, signal));
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('DDIM 50 streams every step and keeps the whole trajectory; a seed names it', async () => {
    const progress: { step: number; t: number }[] = [];
    const args = { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 7, batch: 2 };
    const run = ok<Run>(await call('diffusion.sample', args, progress));
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(run.timesteps[0]).toBe(999);
    expect(run.timesteps.at(-1)).toBe(0);
    expect(run.xt.shape).toEqual([51, 2, 1, 28, 28]);
    expect(run.x0.shape).toEqual([50, 2, 1, 28, 28]);
    expect(run.final.shape).toEqual([2, 1, 28, 28]);
    expect(run.stored).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(run.raw.shape).toEqual([51, 2, 16]);
    expect(run.rawX0.shape).toEqual([51, 2, 16]);
    expect(run.noiseLevels[0]).toBeCloseTo(1, 2);
    expect(run.noiseLevels.at(-1)).toBe(0);
    const again = ok<Run>(await call('diffusion.sample', args));
    expect(again.xt.data).toEqual(run.xt.data);
    expect(again.final.data).toEqual(run.final.data);
    const other = ok<Run>(await call('diffusion.sample', { ...args, seed: 8 }));
    expect(last(other)).not.toEqual(last(run));
  });

  it('a branch from step 25 with the same seed and η = 0 retraces the run; another seed and η = 1 departs from it', async () => {
    const args = { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 3, batch: 1 };
    const run = ok<Run>(await call('diffusion.sample', args));
    const at = 25;
    const resume = { x: float32Tensor([1, 16], run.raw.data.slice(at * 16, (at + 1) * 16)), t: run.timesteps[at]! };
    const same = ok<Run>(await call('diffusion.sample', { ...args, resume }));
    expect(same.timesteps).toEqual(run.timesteps.slice(at));
    Array.from(last(same)).forEach((v, i) => expect(v).toBeCloseTo(last(run)[i]!, 5));
    const branch = ok<Run>(await call('diffusion.sample', { ...args, seed: 99, sampler: { kind: 'ddim', eta: 1 }, resume }));
    expect(psnr(last(branch), last(run))).toBeLessThan(40);
  });

  it('DDPM ancestral sampling runs with either variance', async () => {
    for (const variance of ['posterior', 'beta']) {
      const run = ok<Run>(await call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddpm', variance }, steps: 20, seed: 1, batch: 1 }));
      expect(run.xt.shape[0]).toBe(21);
      expect(Math.max(...last(run)) - Math.min(...last(run))).toBeGreaterThan(0.3);
    }
  });

  it('image-to-image keeps more of the input at a small t0 than at a large one', async () => {
    const { images } = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('dataset.images', { indices: [0] }));
    const image = float32Tensor(images.shape, Float32Array.from(images.data, (v) => v / 255));
    const faithfulness = async (t0: number) => {
      const run = ok<Run>(await call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 1, batch: 1, init: { images: image, t0 } }));
      expect(run.timesteps[0]).toBeLessThanOrEqual(t0);
      return psnr(last(run), image.data);
    };
    expect(await faithfulness(200)).toBeGreaterThan(await faithfulness(900));
  });

  it('the forward process runs from the image at t = 0 to noise at t = 999', async () => {
    const { images } = ok<{ images: { shape: number[]; data: Uint8Array } }>(await call('dataset.images', { indices: [1] }));
    const image = float32Tensor(images.shape, Float32Array.from(images.data, (v) => v / 255));
    const pixel = ok<{ images: { data: Float32Array } }>(await call('diffusion.forward', { model: MODEL, image, t: [0, 999] }));
    const [start, end] = [pixel.images.data.subarray(0, 784), pixel.images.data.subarray(784)];
    const reconstruction = ok<{ images: { data: Float32Array } }>(await call('model.decode', { model: 'fmnist-vae', z: (ok<{ mean: { shape: number[]; data: Float32Array } }>(await call('model.encode', { model: 'fmnist-vae', images: image }))).mean }));
    expect(psnr(start, reconstruction.images.data)).toBeGreaterThan(30);
    expect(psnr(end, reconstruction.images.data)).toBeLessThan(20);
  });

  it('cancelling stops sampling', async () => {
    const controller = new AbortController();
    const progress: unknown[] = [];
    const outcome = await dispatchCall(engine.handlers, 'diffusion.sample', { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 1, batch: 1 }, {
      signal: controller.signal,
      client: 1,
      onProgress: (p) => {
        progress.push(p);
        if (progress.length === 5) controller.abort();
      },
    });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(progress).toHaveLength(5);
  });

  it('refuses a timestep past the schedule, naming the field', async () => {
    const outcome = await call('diffusion.forward', { model: MODEL, image: float32Tensor([1, 1, 28, 28]), t: [1000] });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'args.t.0' } });
  });
});

describe('noise a sampler does not use', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('deterministic DDIM draws only the starting noise; DDIM with η > 0 and DDPM draw a step’s worth at every step', async () => {
    const { NormalStream } = await import('../../electron/engine/diffusion');
    const drawn = vi.spyOn(NormalStream.prototype, 'next');
    const sample = async (sampler: unknown) => {
      drawn.mockClear();
      ok<Run>(await dispatchCall(engine.handlers, 'diffusion.sample', { model: MODEL, sampler, steps: 10, seed: 3, batch: 2 }, callOptions()));
      return drawn.mock.calls.length;
    };
    expect(await sample({ kind: 'ddim', eta: 0 })).toBe(1);
    expect(await sample({ kind: 'ddim', eta: 1 })).toBe(11);
    expect(await sample({ kind: 'ddpm', variance: 'posterior' })).toBe(11);
    drawn.mockRestore();
  });
});
