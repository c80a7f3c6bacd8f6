import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { psnr } from '../../electron/common/imageMetrics';
import { NormalStream } from '../../electron/engine/diffusion/noise';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { ModelHost } from '../../electron/engine/models/host';
import { styleSpaceOf } from '../../electron/engine/ops/styleSpace';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';

const source = join(repoRoot, 'tests', 'fixtures', 'models', 'stylegan-tiny');
// A copy, so the gradient graphs cached beside the model land in a scratch folder, not the repository.
const fixture = join(mkdtempSync(join(tmpdir(), 'style-space-')), 'stylegan-tiny');
cpSync(source, fixture, { recursive: true, filter: (path) => !path.includes('.latent-studio') });
const manifest = JSON.parse(readFileSync(join(fixture, 'manifest.json'), 'utf8'));
const { numWs, wDim } = manifest.style as { numWs: number; wDim: number; wAvg: number[] };
type Tensor = { shape: number[]; data: Float32Array };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('a StyleGAN-style model’s W and W+ spaces', () => {
  let engine: Engine;
  const call = (name: string, args: unknown, progress: unknown[] = []) => dispatchCall(engine.handlers, name, args, callOptions(progress));
  const decode = (z: Tensor, space?: string) => call('model.decode', { model: 'stylegan-tiny', z, space }).then((o) => ok<{ images: Tensor }>(o).images);
  beforeAll(async () => {
    engine = await realEngine();
    ok(await call('library.addFolder', { path: fixture }));
  });
  afterAll(() => engine.dispose());

  it('w_avg, stated or measured from 10,000 mapped samples, agree; the model lists its style space', async () => {
    const { models } = ok<{ models: { id: string; style?: unknown }[] }>(await call('app.info', {}));
    expect(models.find((m) => m.id === 'stylegan-tiny')?.style).toEqual({ numWs, wDim });
    // A copy without wAvg: the engine measures it.
    const copy = join(mkdtempSync(join(tmpdir(), 'style-')), 'stylegan-tiny');
    cpSync(source, copy, { recursive: true, filter: (path) => !path.includes('.latent-studio') });
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, style: { numWs, wDim } }));
    const host = new ModelHost({ providers: ['cpu'] });
    await host.loadFolders([{ path: copy, source: 'user' }]);
    const measured = await styleSpaceOf(host, host.model('stylegan-tiny'));
    expect(measured.wAvg).toHaveLength(wDim);
    expect(maxDiff(measured.wAvg, manifest.style.wAvg)).toBeLessThan(0.1 * measured.wStd);
    expect(measured.wStd).toBeGreaterThan(0);
    await host.dispose();
  });

  it('decodes w (repeated for every layer) and w+ through synthesis as the generator decodes z', async () => {
    const z = new NormalStream(5).next(64);
    const viaZ = await decode(float32Tensor([1, 64], z));
    const host = new ModelHost({ providers: ['cpu'] });
    await host.loadFolders([{ path: fixture, source: 'user' }]);
    const { mapCodes, broadcastW } = await import('../../electron/engine/ops/styleSpace');
    const w = await mapCodes(host, host.model('stylegan-tiny'), z, 1);
    await host.dispose();
    expect(maxDiff((await decode(float32Tensor([1, wDim], w), 'w')).data, viaZ.data)).toBeLessThan(1e-4);
    expect(maxDiff((await decode(float32Tensor([1, numWs, wDim], broadcastW(w, 1, { numWs, wDim })), 'w+')).data, viaZ.data)).toBeLessThan(1e-4);
    expect(await call('model.decode', { model: 'stylegan-tiny', z: float32Tensor([1, 64, 2], new Float32Array(128)), space: 'w+' })).toMatchObject({
      ok: false,
      error: { field: 'args.z.shape', message: `w+ codes of model "stylegan-tiny" are [batch, ${numWs}, ${wDim}]; got [1, 64, 2]` },
    });
    expect(await call('model.decode', { model: 'fmnist-dcgan', z: float32Tensor([1, 64], new Float32Array(64)), space: 'w' })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('truncation ψ pulls samples towards the average style: ψ = 1 is the generator, ψ = 0 the average image for every z', async () => {
    const z = float32Tensor([3, 64], new NormalStream(9).next(3 * 64));
    const truncated = (psi: number) => call('model.decode', { model: 'stylegan-tiny', z, truncation: psi }).then((o) => ok<{ images: Tensor }>(o).images);
    expect(maxDiff((await truncated(1)).data, (await decode(z)).data)).toBeLessThan(1e-5);
    const average = await decode(float32Tensor([1, wDim], Float32Array.from(manifest.style.wAvg)), 'w');
    const zero = await truncated(0);
    const size = average.data.length;
    for (let n = 0; n < 3; n++) expect(maxDiff(zero.data.subarray(n * size, (n + 1) * size), average.data)).toBeLessThan(1e-5);
    // Halfway: each sample's distance from the average image shrinks.
    const full = await decode(z);
    const half = await truncated(0.5);
    const distance = (images: Tensor, n: number) => maxDiff(images.data.subarray(n * size, (n + 1) * size), average.data);
    for (let n = 0; n < 3; n++) expect(distance(half, n)).toBeLessThan(distance(full, n));
  });

  for (const space of ['w', 'w+'] as const) {
    it(`inverts in ${space}: starts at w_avg, differentiates the synthesis graph, and gains well over the start’s PSNR`, async () => {
      const target = await decode(float32Tensor([1, 64], new NormalStream(42).next(64)));
      const start = await decode(float32Tensor([1, wDim], Float32Array.from(manifest.style.wAvg)), 'w');
      const progress: { step: number }[] = [];
      const result = ok<{ z: Tensor; space: string; psnr: number; curve: number[]; gradientSource: string; image: Tensor }>(
        await call('gan.invert', { model: 'stylegan-tiny', image: target, settings: { space, steps: 60, restarts: 1, lr: 0.05, noise: 0 } }, progress),
      );
      expect(result.space).toBe(space);
      expect(result.z.shape).toEqual(space === 'w' ? [1, wDim] : [1, numWs, wDim]);
      expect(result.gradientSource).toBe('differentiated generator');
      expect(result.curve.at(-1)!).toBeLessThan(result.curve[0]! * 0.8);
      expect(result.psnr).toBeGreaterThan(psnr(start.data, target.data) + 2);
      // The code found decodes to the result shown.
      expect(maxDiff((await decode(result.z, space)).data, result.image.data)).toBeLessThan(1e-5);
      expect(progress.length).toBeGreaterThan(10);
    });
  }
});
