import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { readDatasetSample } from '../../electron/engine/dataset/sample';
import type { Manifest } from '../../electron/engine/models/manifest';
import { readManifest } from '../../electron/engine/models/registry';
import { bytesToRange } from '../../electron/engine/ops/imageRange';
import { SessionCache, runGraph } from '../../electron/engine/runtime/sessions';
import { paths } from '../helpers/engine';

const sessions = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
afterAll(() => sessions.releaseAll());

function seededNormal(count: number, seed: number): Float32Array {
  let s = seed;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296;
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

describe('the GAN inversion graph', () => {
  it('returns dL/dz that matches central finite differences of its own loss', async () => {
    const dir = join(paths.models, 'fmnist-dcgan');
    const { manifest } = (await readManifest(dir)) as { manifest: Manifest };
    const graph = await sessions.get(manifest.id, dir, 'inversion', manifest.graphs.inversion!);
    const dim = manifest.latent!.shape[0]!;
    const batch = 4;
    const dataset = await readDatasetSample(paths.datasetBinary, paths.datasetSidecar);
    const x = float32Tensor([batch, 1, 28, 28], bytesToRange(dataset.pixels.subarray(0, batch * 784), manifest.image.range as [number, number]));
    const z = seededNormal(batch * dim, 7);

    const evaluate = async (codes: Float32Array) => runGraph(graph, { z: float32Tensor([batch, dim], codes), x });
    const { loss, grad } = await evaluate(z);
    expect(loss!.shape).toEqual([batch]);
    expect(grad!.shape).toEqual([batch, dim]);

    // Directional derivative along a random unit direction per sample, against (L(z + hv) − L(z − hv)) / 2h.
    const h = 1e-2;
    for (const seed of [11, 12, 13]) {
      const v = seededNormal(batch * dim, seed);
      for (let b = 0; b < batch; b++) {
        const row = v.subarray(b * dim, (b + 1) * dim);
        const norm = Math.hypot(...row);
        for (let i = 0; i < dim; i++) row[i]! /= norm;
      }
      const plus = await evaluate(z.map((value, i) => value + h * v[i]!));
      const minus = await evaluate(z.map((value, i) => value - h * v[i]!));
      for (let b = 0; b < batch; b++) {
        const numeric = (plus.loss!.data[b]! - minus.loss!.data[b]!) / (2 * h);
        let analytic = 0;
        for (let i = 0; i < dim; i++) analytic += grad!.data[b * dim + i]! * v[b * dim + i]!;
        expect(Math.abs(numeric - analytic) / Math.max(1, Math.abs(analytic)), `sample ${b}, direction ${seed}`).toBeLessThan(2e-2);
      }
    }
  });
});
