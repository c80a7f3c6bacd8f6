import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { NormalStream } from '../../electron/engine/diffusion/noise';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import type { Manifest } from '../../electron/engine/models/manifest';
import { readManifest } from '../../electron/engine/models/registry';
import { runGraph, SessionCache } from '../../electron/engine/runtime/sessions';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';
import { readParity, relativeMaxError } from '../helpers/parity';

const folder = join(repoRoot, 'tests', 'fixtures', 'models', 'vae-spatial-tiny');
type Tensor = { shape: number[]; data: Float32Array };

describe('a Stable-Diffusion-style VAE with a spatial latent [4, 8, 8] at 3×64×64', () => {
  it('runs in ONNX Runtime as in PyTorch (parity ≤ 1e-4)', async () => {
    const sessions = new SessionCache({ providers: ['cpu'] });
    const { manifest } = (await readManifest(folder)) as { manifest: Manifest };
    for (const [role, cases] of Object.entries(readParity(join(folder, 'parity.json')))) {
      const graph = await sessions.get(manifest.id, folder, role, manifest.graphs[role]!);
      for (const c of cases) {
        const out = await runGraph(graph, c.inputs);
        for (const [name, expected] of Object.entries(c.outputs)) expect(relativeMaxError(out[name]!.data, expected.data), `${role} ${name}`).toBeLessThan(1e-4);
      }
    }
    sessions.releaseAll();
  });

  describe('through the engine', () => {
    let engine: Engine;
    const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
    beforeAll(async () => {
      engine = await realEngine();
      ok(await call('library.addFolder', { path: folder }));
    });
    afterAll(() => engine.dispose());

    it('keeps codes’ shape from encode to decode, and takes them flat too', async () => {
      const images = float32Tensor([2, 3, 64, 64], Float32Array.from(new NormalStream(1).next(2 * 3 * 64 * 64), (v) => 0.5 + 0.2 * Math.tanh(v)));
      const { mean } = ok<{ mean: Tensor }>(await call('model.encode', { model: 'vae-spatial-tiny', images }));
      expect(mean.shape).toEqual([2, 4, 8, 8]);
      const shaped = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: mean })).images;
      const flat = ok<{ images: Tensor }>(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([2, 256], mean.data) })).images;
      expect(shaped.shape).toEqual([2, 3, 64, 64]);
      expect(flat.data).toEqual(shaped.data);
      expect(await call('model.decode', { model: 'vae-spatial-tiny', z: float32Tensor([1, 4, 16, 4], new Float32Array(256)) })).toMatchObject({
        ok: false,
        error: { field: 'args.z.shape', message: 'model "vae-spatial-tiny" expects latent codes of shape [batch, 4, 8, 8]; got [1, 4, 16, 4]' },
      });
    });

    it('interpolates between spatial codes and returns the path in the latent’s shape', async () => {
      const keyframes = float32Tensor([2, 4, 8, 8], new NormalStream(2).next(512));
      const r = ok<{ codes: Tensor; images: Tensor }>(await call('latent.interpolate', { model: 'vae-spatial-tiny', keyframes, frames: 5, method: 'slerp' }));
      expect(r.codes.shape).toEqual([5, 4, 8, 8]);
      expect(r.images.shape).toEqual([5, 3, 64, 64]);
      expect(Array.from(r.codes.data.subarray(0, 256))).toEqual(Array.from(keyframes.data.subarray(0, 256)));
    });
  });
});
