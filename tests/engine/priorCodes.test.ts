import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { priorCodes } from '../../electron/engine/ops/priorCodes';
import { callOptions, ok, realEngine } from '../helpers/engine';

describe('codes drawn from the prior by the engine', () => {
  it('are the codes randomNormal names for the seed, from any code on, whatever the size', async () => {
    const cases: [number[], number, number][] = [[[16], 16, 0], [[4, 7, 7], 16, 5], [[3], 5, 3], [[1, 131, 257], 4, 1]];
    for (const [shape, count, from] of cases) {
      const size = shape.reduce((a, b) => a * b, 1);
      const codes = await priorCodes(shape, { seed: 11, count, from });
      expect(codes.shape).toEqual([count - from, ...shape]);
      expect(Buffer.compare(Buffer.from(codes.data.buffer), Buffer.from(randomNormal(count * size, 11).subarray(from * size).slice().buffer))).toBe(0);
    }
  });

  it('a large draw lets the event loop turn while it runs (a 1024 px VAE grid: 16 × [4, 128, 128])', async () => {
    let turns = 0;
    let drawing = true;
    const tick = () => {
      turns++;
      if (drawing) setImmediate(tick);
    };
    setImmediate(tick);
    const codes = await priorCodes([4, 128, 128], { seed: 1, count: 16, from: 0 });
    drawing = false;
    expect(codes.shape).toEqual([16, 4, 128, 128]);
    // 1,048,576 values in slices of 65,536: the loop turned between them.
    expect(turns).toBeGreaterThanOrEqual(15);
  });
});

describe('model.preview with prior on the real models', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('gives the pictures of the codes the seed names, as if they had been sent', async () => {
    const sent = ok<{ images: { data: Uint8Array; shape: number[] } }>(await call('model.preview', { model: 'fmnist-vae', z: float32Tensor([12, 16], randomNormal(16 * 16, 7).subarray(4 * 16)) }));
    const drawn = ok<{ images: { data: Uint8Array; shape: number[] } }>(await call('model.preview', { model: 'fmnist-vae', prior: { seed: 7, count: 16, from: 4 } }));
    expect(drawn.images.shape).toEqual([12, 1, 28, 28]);
    expect(Buffer.compare(drawn.images.data, sent.images.data)).toBe(0);
    // A spatial latent, through the reuse the sample grids ask for.
    const grid = ok<{ images: { shape: number[] } }>(await call('model.preview', { model: 'fmnist-vae-spatial', prior: { seed: 1, count: 16 }, maxSide: 128, reuse: true }));
    expect(grid.images.shape).toEqual([16, 1, 28, 28]);
  });

  it('refuses what cannot be drawn, naming why', async () => {
    const refused = async (args: unknown) => {
      const outcome = await call('model.preview', args);
      expect(outcome.ok).toBe(false);
      return outcome.ok ? undefined : outcome.error;
    };
    // The message's schema refuses these at the boundary…
    expect(await refused({ model: 'fmnist-vae' })).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/either z or prior/) });
    expect(await refused({ model: 'fmnist-vae', z: float32Tensor([1, 16]), prior: { seed: 1, count: 1 } })).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/either z or prior/) });
    expect(await refused({ model: 'fmnist-vae', prior: { seed: 1, count: 4, from: 4 } })).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/below prior.count/) });
    expect(await refused({ model: 'fmnist-vae', prior: { seed: 1, count: 4 }, space: 'w' })).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/z codes/) });
    // …the model, this one: a pixel denoiser has no prior to draw from.
    expect(await refused({ model: 'fmnist-ddpm-pixel', prior: { seed: 1, count: 4 } })).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/no latent space/) });
  });
});
