import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import type { Manifest } from '../../electron/engine/models/manifest';
import { readManifest } from '../../electron/engine/models/registry';
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
    // Targets the generator can reach, from codes near where we probe: losses stay moderate, so
    // float32 rounding in them is far below what the differences measure.
    const generator = await sessions.get(manifest.id, dir, 'generator', manifest.graphs.generator!);
    const reference = seededNormal(batch * dim, 5);
    const x = (await runGraph(generator, { z: float32Tensor([batch, dim], reference) }))['x']!;
    const offset = seededNormal(batch * dim, 7);
    const z = reference.map((v, i) => v + 0.5 * offset[i]!);

    const evaluate = async (codes: Float32Array) => runGraph(graph, { z: float32Tensor([batch, dim], codes), x });
    const { loss, grad } = await evaluate(z);
    expect(loss!.shape).toEqual([batch]);
    expect(grad!.shape).toEqual([batch, dim]);

    // The loss recomputed here, in float64, from the generator's image: the sum over pixels of (G(z) − x)².
    // Differences of it are free of the float32 rounding in the graph's own sum, so the step can be small
    // enough that few ReLU kinks of the generator fall inside ±h (a kink crossed biases a central difference
    // by an amount that shrinks with h: on the retrained generator the lengths differed by 0.9% at h = 1e-2, 0.7% at
    // 3e-3 and under 0.2% at 3e-4, with the direction the same throughout).
    const pixels = x.data.length / batch;
    const lossOf = async (codes: Float32Array) => {
      const image = (await runGraph(generator, { z: float32Tensor([batch, dim], codes) }))['x']!.data;
      return Array.from({ length: batch }, (_, b) => {
        let sum = 0;
        for (let p = b * pixels; p < (b + 1) * pixels; p++) sum += (image[p]! - x.data[p]!) ** 2;
        return sum;
      });
    };
    const here = await lossOf(z);
    for (let b = 0; b < batch; b++) expect(Math.abs(here[b]! - loss!.data[b]!) / here[b]!, `the graph's loss, sample ${b}`).toBeLessThan(1e-5);

    // Central differences coordinate by coordinate give the whole numeric gradient; compare its
    // direction (cosine) and length with the graph's.
    const h = 3e-4;
    const numeric = new Float64Array(batch * dim);
    for (let j = 0; j < dim; j++) {
      const shifted = (sign: number) => z.map((v, i) => (i % dim === j ? v + sign * h : v));
      const plus = await lossOf(shifted(1));
      const minus = await lossOf(shifted(-1));
      for (let b = 0; b < batch; b++) numeric[b * dim + j] = (plus[b]! - minus[b]!) / (2 * h);
    }
    for (let b = 0; b < batch; b++) {
      const a = grad!.data.subarray(b * dim, (b + 1) * dim);
      const n = numeric.subarray(b * dim, (b + 1) * dim);
      const dotAN = a.reduce((sum, v, j) => sum + v * n[j]!, 0);
      const cosine = dotAN / (Math.hypot(...a) * Math.hypot(...n));
      const ratio = Math.hypot(...n) / Math.hypot(...a);
      console.log(`sample ${b}: loss ${loss!.data[b]!.toFixed(2)}, cosine ${cosine.toFixed(5)}, |numeric|/|graph| ${ratio.toFixed(4)}`);
      expect(cosine, `sample ${b}`).toBeGreaterThan(0.9995);
      expect(Math.abs(ratio - 1), `sample ${b}`).toBeLessThan(0.005);
    }
  });
});
