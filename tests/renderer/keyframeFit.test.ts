// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { DatasetSummary, ModelSummary } from '../../electron/api/contract';
import { float32Tensor } from '../../electron/api/tensor';
import type { ImportedCode } from '../../renderer/src/state/latentStore';
import { keyframeMisfit } from '../../renderer/src/views/interpolate/keyframeFit';

const model = (id: string, kind: ModelSummary['kind'], channels: number, side: number, graphs: string[]) =>
  ({ id, name: id.toUpperCase(), kind, image: { channels, height: side, width: side, range: [0, 1] }, latent: { shape: [8], prior: 'standard-normal' }, graphs: Object.fromEntries(graphs.map((g) => [g, {}])) }) as unknown as ModelSummary;
const dataset = (id: string, source: 'bundled' | 'folder', channels: number, side: number) => ({ id, name: `${id} set`, source, channels, height: side, width: side }) as DatasetSummary;
const own = (id: string, modelId: string, channels: number, side: number): ImportedCode => ({ id, name: id, model: modelId, code: new Float32Array(8), image: float32Tensor([1, channels, side, side], new Float32Array(channels * side * side)) });

describe('which keyframes an interpolation with a model can use', () => {
  const vae28 = model('vae28', 'vae', 1, 28, ['encoder', 'decoder']);
  const vae64 = model('vae64', 'vae', 3, 64, ['encoder', 'decoder']);
  const gan64 = model('gan64', 'gan', 3, 64, ['generator']);
  const models = [vae28, vae64, gan64];
  const datasets = [dataset('bundled', 'bundled', 1, 28), dataset('bundled-emoji-64', 'bundled', 3, 64), dataset('folder-0123456789ab', 'folder', 3, 48)];
  const imported = [own('sample-1', 'gan64', 3, 64), own('boot.png', 'vae28', 1, 28)];
  const misfit = (k: Parameters<typeof keyframeMisfit>[0], m: ModelSummary) => keyframeMisfit(k, m, datasets, imported, models);

  it('dataset images: where the model encodes and the dataset fits it (a folder fits any encoder)', () => {
    expect(misfit({ kind: 'dataset', index: 3 }, vae28)).toBeUndefined();
    expect(misfit({ kind: 'dataset', index: 3, dataset: 'folder-0123456789ab' }, vae28)).toBeUndefined();
    expect(misfit({ kind: 'dataset', index: 3 }, vae64)).toBe('a 28×28×1 image; this model takes 64×64×3');
    expect(misfit({ kind: 'dataset', index: 3, dataset: 'bundled-emoji-64' }, gan64)).toBe('GAN64 has no encoder for dataset images');
    expect(misfit({ kind: 'dataset', index: 3, dataset: 'folder-ffffffffffff' }, vae28)).toBe('its dataset is not open');
  });

  it("imported codes: the model's own, or another's image where this model encodes images of its size", () => {
    expect(misfit({ kind: 'imported', id: 'sample-1' }, gan64)).toBeUndefined();
    expect(misfit({ kind: 'imported', id: 'sample-1' }, vae64)).toBeUndefined();
    expect(misfit({ kind: 'imported', id: 'sample-1' }, vae28)).toBe('a code of GAN64');
    expect(misfit({ kind: 'imported', id: 'boot.png' }, gan64)).toBe('a code of VAE28');
    expect(misfit({ kind: 'imported', id: 'gone' }, vae28)).toBe('no longer in the project');
  });
});
