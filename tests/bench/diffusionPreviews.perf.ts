import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { createSampler, interpretOutput, NormalStream } from '../../electron/engine/diffusion';
import { ModelHost } from '../../electron/engine/models/host';
import { predictGuided } from '../../electron/engine/ops/denoise';
import { DiffusionSpace, sampleTrajectory, type SampleRequest } from '../../electron/engine/ops/diffusionSampling';
import { paths, repoRoot } from '../helpers/engine';
import { writePart } from './harness';

/**
 * Per-step time and trajectory bytes of diffusion sampling, before and after cheap previews, in one process:
 * "before" is the earlier sampleTrajectory (both x_t and x̂₀ decoded at full resolution every step, float32,
 * raw x_t at every position), kept here as it was; "after" is the engine's.
 */
async function sampleWithFullDecodes(host: ModelHost, space: DiffusionSpace, request: SampleRequest): Promise<number> {
  const { batch } = request;
  const size = space.sampleSize * batch;
  const sampler = createSampler(space.schedule, request.sampler, space.clip);
  const timesteps = sampler.setTimesteps(request.steps);
  const noise = new NormalStream(request.seed);
  let x = noise.next(size);
  const imageSize = (await space.toImages(x.subarray(0, space.sampleSize), 1)).data.length;
  const xt = new Float32Array((timesteps.length + 1) * batch * imageSize);
  const x0 = new Float32Array(timesteps.length * batch * imageSize);
  const raw = new Float32Array((timesteps.length + 1) * size);
  raw.set(x, 0);
  xt.set((await space.toImages(x, batch)).data, 0);
  const { prediction } = space.model.manifest.diffusion!;
  for (const [i, t] of timesteps.entries()) {
    const output = await predictGuided(host, space.model.manifest.id, float32Tensor([batch, ...space.sampleShape], x), new Array(batch).fill(t), null, 1);
    const { eps, x0: predicted } = interpretOutput(space.schedule, prediction, output.data, t, x, space.clip);
    const { prevSample, predOriginalSample } = sampler.step(eps, t, x, sampler.usesNoise ? noise.next(size) : undefined, prediction === 'epsilon' ? undefined : predicted);
    x = prevSample;
    raw.set(x, (i + 1) * size);
    const [a, b] = await Promise.all([space.toImages(x, batch), space.toImages(predOriginalSample, batch)]);
    xt.set(a.data, (i + 1) * batch * imageSize);
    x0.set(b.data, i * batch * imageSize);
  }
  return xt.byteLength + x0.byteLength + raw.byteLength;
}

let host: ModelHost;
beforeAll(async () => {
  host = new ModelHost({ providers: ['cpu'] });
  await host.loadFolders([
    { path: paths.models, source: 'bundled' },
    { path: join(repoRoot, 'tests', 'fixtures', 'models'), source: 'user' },
  ]);
});
afterAll(() => host.dispose());

/** Short runs alternate before and after in three rounds and keep each one's best (the machine may be shared); 1000-step runs go once. */
const CASES = [
  { model: 'ldm-spatial-tiny', steps: 50, batch: 4, rounds: 3 },
  { model: 'ldm-spatial-tiny', steps: 1000, batch: 16, rounds: 1 },
  { model: 'fmnist-ddpm-latent-cond', steps: 50, batch: 4, rounds: 3 },
  { model: 'fmnist-ddpm-latent-cond', steps: 1000, batch: 16, rounds: 1 },
  { model: 'fmnist-ddpm-pixel', steps: 50, batch: 4, rounds: 3 },
  { model: 'fmnist-ddpm-pixel', steps: 1000, batch: 4, rounds: 1 },
];

it('diffusion sampling: per-step ms and trajectory bytes, full decodes vs previews', async () => {
  const rows: PreviewRow[] = [];
  const job = { signal: new AbortController().signal, progress: () => {} };
  for (const { model, steps, batch, rounds } of CASES) {
    const space = new DiffusionSpace(host, host.model(model));
    const request: SampleRequest = { sampler: { kind: 'ddim', eta: 0 }, steps, seed: 1, batch };
    await sampleTrajectory(host, space, { ...request, steps: 2 }, job); // warm-up and the preview fit
    const row: PreviewRow = { model, steps, batch, beforeMsPerStep: Infinity, beforeMiB: 0, afterMsPerStep: Infinity, afterMiB: 0, previews: '' };
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      row.beforeMiB = (await sampleWithFullDecodes(host, space, request)) / 2 ** 20;
      row.beforeMsPerStep = Math.min(row.beforeMsPerStep, (performance.now() - t) / steps);
      t = performance.now();
      const after = await sampleTrajectory(host, space, request, job);
      row.afterMsPerStep = Math.min(row.afterMsPerStep, (performance.now() - t) / steps);
      row.afterMiB = [after.xt, after.x0, after.final, after.raw, after.rawX0].reduce((n, x) => n + x.data.byteLength, 0) / 2 ** 20;
      row.previews = `${after.previewKind} ${after.xt.shape.slice(3).join('×')}`;
    }
    rows.push(row);
    console.info(`${model} ${steps} × ${batch}: ${row.beforeMsPerStep.toFixed(2)} → ${row.afterMsPerStep.toFixed(2)} ms a step, ${row.beforeMiB.toFixed(2)} → ${row.afterMiB.toFixed(2)} MiB, ${row.previews}`);
  }
  writePart('previews', rows);
});

interface PreviewRow { model: string; steps: number; batch: number; beforeMsPerStep: number; beforeMiB: number; afterMsPerStep: number; afterMiB: number; previews: string }
