import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import { dispatchCall, type Outcome } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, paths, realEngine } from '../helpers/engine';

let engine: Engine;
beforeAll(async () => {
  engine = await realEngine();
});
afterAll(() => engine.dispose());

const call = (name: string, args: unknown, signal?: AbortSignal, client = 1) => dispatchCall(engine.handlers, name, args, callOptions([], signal, client));

describe('under load and interruption', () => {
  it('50 concurrent requests of mixed kinds all end in a correct result', async () => {
    const image = float32Tensor([1, 1, 28, 28], new Float32Array(784).fill(0.3));
    const requests = Array.from({ length: 50 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return { name: 'model.decode', args: { model: 'fmnist-vae', z: float32Tensor([2, 16], randomNormal(32, i)) }, check: (r: any) => r.images.shape[0] === 2 };
        case 1:
          return { name: 'model.encode', args: { model: 'fmnist-ae', images: image }, check: (r: any) => r.mean.shape[1] === 16 };
        case 2:
          return { name: 'model.classify', args: { model: 'fmnist-classifier', images: image }, check: (r: any) => r.predicted.length === 1 };
        case 3:
          return { name: 'model.denoise', args: { model: 'fmnist-ddpm-pixel', x: float32Tensor([1, 1, 28, 28], randomNormal(784, i)), t: [i * 10] }, check: (r: any) => r.eps.shape[3] === 28 };
        default:
          return { name: 'dataset.images', args: { indices: [i, i + 1] }, check: (r: any) => r.labels.length === 2 };
      }
    });
    const outcomes = await Promise.all(requests.map((r, i) => call(r.name, r.args, undefined, 100 + i)));
    outcomes.forEach((outcome, i) => {
      expect(outcome.ok, `${requests[i]!.name} #${i}`).toBe(true);
      expect(requests[i]!.check((outcome as { result: unknown }).result), `${requests[i]!.name} #${i}`).toBe(true);
    });
  });

  it('every job kind cancelled at a random moment ends "cancelled" (or, for inversion, with the best so far) and the engine keeps serving', async () => {
    const image = float32Tensor([1, 1, 28, 28], new Float32Array(784).fill(0.3));
    const jobs: [string, unknown][] = [
      ['dataset.encode', { model: 'fmnist-ae', batchSize: 100 }],
      ['diffusion.sample', { model: 'fmnist-ddpm-latent', sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 1, batch: 2 }],
      ['direction.boundary', { model: 'fmnist-vae', classifier: 'fmnist-classifier', target: [9], samples: 2000 }],
      ['gan.invert', { model: 'fmnist-dcgan', image, settings: { steps: 300, plateau: 0 } }],
    ];
    for (const [name, args] of jobs) {
      for (let trial = 0; trial < 3; trial++) {
        const controller = new AbortController();
        const stopAfter = 1 + Math.floor(Math.random() * 5);
        let seen = 0;
        const outcome: Outcome = await dispatchCall(engine.handlers, name, args, {
          signal: controller.signal,
          client: 1,
          onProgress: () => {
            if (++seen === stopAfter) controller.abort();
          },
        });
        if (name === 'gan.invert') expect(outcome).toMatchObject({ ok: true, result: { cancelled: true, steps: stopAfter } });
        else expect(outcome, `${name} stopped after ${stopAfter}`).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      }
    }
    expect((await call('app.info', {})).ok).toBe(true);
  });

  it('a model whose files disappear while loaded keeps working from memory; once unloaded it reports the missing file clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vanishing-'));
    cpSync(join(paths.models, 'fmnist-vae'), join(dir, 'vae-copy'), { recursive: true });
    const manifestPath = join(dir, 'vae-copy', 'manifest.json');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), id: 'vae-copy' }));
    expect((await call('library.addFolder', { path: dir })).ok).toBe(true);
    const z = float32Tensor([1, 16], randomNormal(16, 3));
    expect((await call('model.decode', { model: 'vae-copy', z })).ok).toBe(true);
    rmSync(join(dir, 'vae-copy'), { recursive: true, force: true });
    expect((await call('model.decode', { model: 'vae-copy', z })).ok).toBe(true);
    expect((await call('model.unload', { model: 'vae-copy' })).ok).toBe(true);
    const after = await call('model.decode', { model: 'vae-copy', z });
    expect(after).toMatchObject({ ok: false, error: { code: 'model-error', message: expect.stringMatching(/could not load vae-copy decoder/) } });
    expect((await call('model.decode', { model: 'fmnist-vae', z })).ok).toBe(true);
    expect((await call('library.removeFolder', { path: dir })).ok).toBe(true);
  });
});
