import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { readDatasetSample, type DatasetSample } from '../../electron/engine/dataset/sample';
import { ModelHost } from '../../electron/engine/models/host';
import { classifyImages } from '../../electron/engine/ops/classify';
import { gradientDirection } from '../../electron/engine/ops/gradientDirection';
import { DEFAULT_INVERSION, invertImage, type InversionProgress } from '../../electron/engine/ops/inversion';
import { decodeLatents, encodeImages } from '../../electron/engine/ops/latentCodec';
import { runGraph } from '../../electron/engine/runtime/sessions';
import { paths } from '../helpers/engine';

let host: ModelHost;
let dataset: DatasetSample;
const image = (index: number): Float32Tensor => float32Tensor([1, 1, 28, 28], Float32Array.from(dataset.pixels.subarray(index * 784, (index + 1) * 784), (v) => v / 255));
const firstOf = (label: number) => dataset.labels.findIndex((l) => l === label);
const never: { signal: AbortSignal; progress(p: InversionProgress): void } = { signal: new AbortController().signal, progress: () => {} };

beforeAll(async () => {
  host = new ModelHost({ providers: ['cpu'], intraOpNumThreads: 2 });
  await host.loadFolders([{ path: paths.models, source: 'bundled' }]);
  dataset = await readDatasetSample(paths.datasetBinary, paths.datasetSidecar);
});
afterAll(() => host.dispose());

const SNEAKER = 7;
const BOOT = 9;

describe('gradient edits: more of a class at one code', () => {
  const logP = async (model: string, code: Float32Array, target: number) => {
    const { probabilities } = await classifyImages(host, 'fmnist-classifier', await decodeLatents(host, model, float32Tensor([1, code.length], code)));
    return Math.log(probabilities.data[target]!);
  };

  for (const model of ['fmnist-vae', 'fmnist-ae', 'fmnist-dcgan']) {
    it(`${model}: the direction is ∇ log P(class) (its slope matches a finite difference to 2%) and a step along it raises P`, async () => {
      const code = model === 'fmnist-dcgan' ? Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7)) : (await encodeImages(host, model, image(firstOf(SNEAKER)))).mean.data;
      const direction = await gradientDirection(host, host.model(model), host.model('fmnist-classifier'), [BOOT], float32Tensor([1, code.length], code));
      expect(direction.vector.shape).toEqual(host.model(model).manifest.latent!.shape);
      expect(Math.exp(await logP(model, code, BOOT))).toBeCloseTo(direction.probability, 5);
      const v = direction.vector.data;
      const along = (s: number) => code.map((c, i) => c + s * v[i]!);
      // ReLU and max-pool kinks bend differences over larger steps (2% off at h = 1e-2 for the DCGAN).
      const h = 1e-3;
      const numeric = ((await logP(model, along(h), BOOT)) - (await logP(model, along(-h), BOOT))) / (2 * h);
      expect(Math.abs(numeric - direction.slope) / direction.slope).toBeLessThan(0.02);
      expect(await logP(model, along(0.5), BOOT)).toBeGreaterThan(await logP(model, code, BOOT));
    });
  }

  it('refuses a class the classifier does not have, and a classifier of other images', async () => {
    const code = float32Tensor([1, 16], new Float32Array(16));
    await expect(gradientDirection(host, host.model('fmnist-vae'), host.model('fmnist-classifier'), [10], code)).rejects.toThrow(/class 10 is not among the classifier's 10 classes/);
    await expect(gradientDirection(host, host.model('fmnist-vae'), host.model('fmnist-classifier'), [1], float32Tensor([1, 3], new Float32Array(3)))).rejects.toThrow(/holds 3 values/);
  });
});

describe('inversion with a perceptual term', () => {
  const features = async (images: Float32Tensor) => {
    const graph = await host.graph(host.model('fmnist-classifier'), 'classifier');
    return (await runGraph(graph, { [graph.spec.inputs[0]!.name]: images }))['features']!.data;
  };
  const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((v, i) => v - b[i]!));

  it("differentiates the generator with the classifier's features and brings the features closer than pixels alone", async () => {
    const target = image(firstOf(2));
    const settings = { ...DEFAULT_INVERSION, steps: 120, restarts: 1, warmStart: false, plateau: 0 };
    const pixels = await invertImage(host, host.model('fmnist-dcgan'), target, settings, never);
    const both = await invertImage(host, host.model('fmnist-dcgan'), target, { ...settings, perceptual: { classifier: 'fmnist-classifier', weight: 1 } }, never);
    expect(pixels.gradientSource).toBe('inversion graph');
    expect(both.gradientSource).toBe('differentiated generator');
    expect(both.curve.at(-1)!).toBeLessThan(both.curve[0]!);
    const goal = await features(target);
    expect(distance(await features(both.image), goal)).toBeLessThan(distance(await features(pixels.image), goal));
    expect(both.psnr).toBeGreaterThan(12);
  });

  it('refuses a perceptual classifier that is not a classifier', async () => {
    await expect(invertImage(host, host.model('fmnist-dcgan'), image(0), { ...DEFAULT_INVERSION, steps: 2, perceptual: { classifier: 'fmnist-vae', weight: 1 } }, never)).rejects.toThrow(/not a classifier/);
  });
});
