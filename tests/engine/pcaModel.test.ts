import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { psnr } from '../../electron/common/imageMetrics';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, freshConfigDir, ok, realEngine } from '../helpers/engine';

type Tensor = { shape: number[]; data: Float32Array };

describe('PCA as a model (the dataset’s principal components as a linear encoder and decoder)', () => {
  let engine: Engine;
  const configDir = freshConfigDir();
  const call = (name: string, args: unknown, progress: unknown[] = []) => dispatchCall(engine.handlers, name, args, callOptions(progress));
  beforeAll(async () => {
    engine = await realEngine(configDir);
  });
  afterAll(() => engine.dispose());

  it('is computed with progress, listed in the library, and encodes, decodes and samples like any model', async () => {
    const progress: { done: number; total: number }[] = [];
    const made = ok<{ model: string; explained: number; psnr: number; library: { models: { id: string; kind: string; latent?: { shape: number[] } }[]; userFolders: string[] } }>(await call('library.makePca', { latent: 16 }, progress));
    expect(made.model).toBe('pca-16');
    expect(progress.at(-1)).toEqual({ done: 4, total: 4 });
    expect(made.library.models.find((m) => m.id === made.model)).toMatchObject({ kind: 'autoencoder', latent: { shape: [16] } });
    expect(made.library.userFolders).toEqual([join(configDir, 'generated-models')]);
    // 16 of 784 components keep most of Fashion-MNIST's pixel variance.
    expect(made.explained).toBeGreaterThan(0.7);
    expect(made.explained).toBeLessThan(1);

    const { images: raw } = ok<{ images: Tensor }>(await call('dataset.images', { indices: [0, 1, 2, 3] }));
    const images = float32Tensor(raw.shape, Float32Array.from(raw.data, (v) => v / 255));
    const { mean: z } = ok<{ mean: Tensor }>(await call('model.encode', { model: made.model, images }));
    expect(z.shape).toEqual([4, 16]);
    const { images: back } = ok<{ images: Tensor }>(await call('model.decode', { model: made.model, z }));
    expect(back.shape).toEqual([4, 1, 28, 28]);
    // The reconstruction error over the sample is the variance the dropped components held (clamping to [0, 1] only lowers it).
    const { images: sample } = ok<{ images: Tensor }>(await call('dataset.images', { indices: Array.from({ length: 2000 }, (_, i) => i * 5) }));
    const inputs = float32Tensor(sample.shape, Float32Array.from(sample.data, (v) => v / 255));
    const { mean: sampleCodes } = ok<{ mean: Tensor }>(await call('model.encode', { model: made.model, images: inputs }));
    const { images: decoded } = ok<{ images: Tensor }>(await call('model.decode', { model: made.model, z: sampleCodes }));
    const measured = psnr(decoded.data, inputs.data);
    expect(measured).toBeGreaterThan(made.psnr - 0.5);
    expect(measured).toBeLessThan(made.psnr + 1.5);
    // Whitened codes: over many images each component has about unit variance, so N(0, I) is the prior.
    const { images: many } = ok<{ images: Tensor }>(await call('dataset.images', { indices: Array.from({ length: 500 }, (_, i) => i * 20) }));
    const { mean: codes } = ok<{ mean: Tensor }>(await call('model.encode', { model: made.model, images: float32Tensor(many.shape, Float32Array.from(many.data, (v) => v / 255)) }));
    const variance = Array.from({ length: 16 }, (_, c) => codes.data.filter((_, i) => i % 16 === c).reduce((s, v) => s + v * v, 0) / 500);
    for (const v of variance) expect(v).toBeGreaterThan(0.6), expect(v).toBeLessThan(1.5);
    const manifest = JSON.parse(readFileSync(join(configDir, 'generated-models', made.model, 'manifest.json'), 'utf8'));
    expect(manifest.metrics.explainedVariance).toBeCloseTo(made.explained, 3);
  });

  it('more components explain more and reconstruct better; a size outside 2 to 64 is refused', async () => {
    const small = ok<{ explained: number; psnr: number }>(await call('library.makePca', { latent: 2 }));
    const large = ok<{ explained: number; psnr: number }>(await call('library.makePca', { latent: 64 }));
    expect(large.explained).toBeGreaterThan(small.explained);
    expect(large.psnr).toBeGreaterThan(small.psnr + 3);
    expect(await call('library.makePca', { latent: 65 })).toMatchObject({ ok: false, error: { field: 'args.latent' } });
  });
});
