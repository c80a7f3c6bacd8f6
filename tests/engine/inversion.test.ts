import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { readDatasetSample, type DatasetSample } from '../../electron/engine/dataset/sample';
import { ModelHost } from '../../electron/engine/models/host';
import { loadModelFolders } from '../../electron/engine/models/registry';
import { DEFAULT_INVERSION, invertImage, type InversionProgress, type InversionSettings } from '../../electron/engine/ops/inversion';
import { paths } from '../helpers/engine';

let host: ModelHost;
let dataset: DatasetSample;
const image = (index: number): Float32Tensor => float32Tensor([1, 1, 28, 28], Float32Array.from(dataset.pixels.subarray(index * 784, (index + 1) * 784), (v) => v / 255));
const never: { signal: AbortSignal; progress(p: InversionProgress): void } = { signal: new AbortController().signal, progress: () => {} };
const invert = (index: number, settings: Partial<InversionSettings>, ctx = never) => invertImage(host, host.model('fmnist-dcgan'), image(index), { ...DEFAULT_INVERSION, ...settings }, ctx);

beforeAll(async () => {
  host = new ModelHost({ providers: ['cpu'], intraOpNumThreads: 2 });
  await host.loadFolders([{ path: paths.models, source: 'bundled' }]);
  dataset = await readDatasetSample(paths.datasetBinary, paths.datasetSidecar);
  expect((await loadModelFolders(paths.models, 'bundled')).models.some((m) => m.manifest.id === 'fmnist-dcgan')).toBe(true);
});
afterAll(() => host.dispose());

describe('GAN inversion in TypeScript', () => {
  it('batched restarts equal the same restarts run one by one', async () => {
    const settings = { warmStart: false, restarts: 3, steps: 40, seed: 5, plateau: 0 };
    const batched = await invert(3, settings);
    for (let r = 0; r < 3; r++) {
      const alone = await invert(3, { ...settings, restarts: 1, seed: 5 + r });
      expect(alone.finalLosses[0]).toBeCloseTo(batched.finalLosses[r]!, 2);
    }
  });

  it('cancelling after N steps returns the best of those N', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await invert(4, { steps: 300, plateau: 0 }, {
      signal: controller.signal,
      progress: (p) => {
        seen.push(p.bestLoss);
        if (p.step === 25) controller.abort();
      },
    });
    expect(result.cancelled).toBe(true);
    expect(result.steps).toBe(25);
    expect(result.loss).toBe(Math.min(...seen));
    expect(result.curve).toHaveLength(25);
  });

  it('optimization improves on the encoder alone', async () => {
    const result = await invert(10, { steps: 150 });
    expect(result.encoderOnly).toBeDefined();
    expect(result.psnr).toBeGreaterThan(result.encoderOnly!.psnr);
    expect(result.curve.at(-1)).toBeLessThan(result.curve[0]!);
  });

  it('reaches the Python reference’s median PSNR within 0.5 dB at the same steps and settings', async () => {
    const referencePath = join(paths.models, 'fmnist-dcgan', 'inversion-reference.json');
    expect(existsSync(referencePath)).toBe(true);
    const reference = JSON.parse(readFileSync(referencePath, 'utf8')) as Reference;
    expect(reference.settings).toMatchObject({ init: 'encoder', schedule: 'constant', betas: [0.9, 0.999] });
    // The first 30 of the reference's 100 held-out images, each inverted with its settings.
    const count = 30;
    const indices = reference.testIndices.slice(0, count);
    const theirs = median(reference.finalPsnrDb.slice(0, count));
    const ours: number[] = [];
    for (const index of indices) {
      const result = await invert(index, {
        steps: reference.settings.steps,
        lr: reference.settings.lr,
        betas: reference.settings.betas,
        warmup: 0,
        rampdown: 0,
        noise: 0,
        prior: 0,
        restarts: 0,
        warmStart: true,
        plateau: 0,
      });
      ours.push(result.psnr);
    }
    console.log(`inversion of ${count} held-out images, ${reference.settings.steps} steps: TypeScript median ${median(ours).toFixed(2)} dB, PyTorch reference ${theirs.toFixed(2)} dB`);
    expect(median(ours)).toBeGreaterThan(theirs - 0.5);
  }, 300_000);
});

interface Reference {
  testIndices: number[];
  finalPsnrDb: number[];
  settings: { steps: number; lr: number; betas: [number, number]; init: string; schedule: string };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
