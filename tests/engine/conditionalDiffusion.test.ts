import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { interpretOutput, NormalStream, cosineSchedule } from '../../electron/engine/diffusion';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';
import { parityErrors } from '../helpers/parity';

const fixtures = join(repoRoot, 'tests', 'fixtures', 'models');
const MODEL = 'cond-denoiser-tiny';
interface Run {
  timesteps: number[];
  xt: { shape: number[]; data: Uint8Array };
  x0: { shape: number[]; data: Uint8Array };
  final: { shape: number[]; data: Float32Array };
  stored: number[];
  rawX0: { shape: number[]; data: Float32Array };
}
const finalOf = (run: Run) => run.final.data;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('a class-conditional, v-prediction, cosine-schedule denoiser with int64 inputs', () => {
  it('runs in ONNX Runtime as in PyTorch, its int64 timesteps and labels fed from the contract’s float32 (parity ≤ 1e-4)', async () => {
    const errors = await parityErrors(join(fixtures, MODEL));
    expect(Object.keys(errors)).toEqual(['denoiser v']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
  });

  describe('through the engine', () => {
    let engine: Engine;
    const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
    const sample = (extra: Record<string, unknown>) => call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 8, seed: 3, batch: 2, ...extra }).then((o) => ok<Run>(o));
    beforeAll(async () => {
      engine = await realEngine();
      ok(await call('library.addFolder', { path: fixtures }));
    });
    afterAll(() => engine.dispose());

    it('is listed with its classes, null class and default guidance', async () => {
      const { models } = ok<{ models: { id: string; diffusion?: unknown }[] }>(await call('app.info', {}));
      expect(models.find((m) => m.id === MODEL)?.diffusion).toEqual({ prediction: 'v', schedule: 'cosine', conditioning: { labels: ['red', 'green', 'blue', 'yellow'], unconditional: true, guidance: 3 } });
    });

    it('samples with trailing spacing from t = 999; the class and the guidance scale change the picture', async () => {
      const red = await sample({ label: 0, guidance: 1 });
      expect(red.timesteps).toEqual([999, 874, 749, 624, 499, 374, 249, 124]);
      expect(red.xt.shape).toEqual([9, 2, 3, 16, 16]);
      const blue = await sample({ label: 2, guidance: 1 });
      const redGuided = await sample({ label: 0, guidance: 4 });
      expect(maxDiff(finalOf(red), finalOf(blue))).toBeGreaterThan(0.05);
      expect(maxDiff(finalOf(red), finalOf(redGuided))).toBeGreaterThan(0.05);
      // Guidance 0 is the unconditional prediction: the same as giving no class at all.
      const zero = await sample({ label: 0, guidance: 0 });
      const none = await sample({});
      expect(maxDiff(finalOf(zero), finalOf(none))).toBeLessThan(1e-5);
    });

    it('guides as u + w (c − u) of the model’s own v-predictions, and shows the guided x̂_0', async () => {
      const w = 2.5;
      const run = await sample({ label: 1, guidance: w, steps: 1, batch: 1 });
      // The first (and only) step is at t = 999 from the seed's noise.
      const x = new NormalStream(3).next(3 * 16 * 16);
      const denoise = (label: number | null) => call('model.denoise', { model: MODEL, x: float32Tensor([1, 3, 16, 16], x), t: [999], label: [label] }).then((o) => ok<{ eps: { data: Float32Array } }>(o).eps.data);
      const [c, u] = [await denoise(1), await denoise(null)];
      const guided = c.map((cv, i) => u[i]! + w * (cv - u[i]!));
      const { x0 } = interpretOutput(cosineSchedule(1000), 'v', guided, 999, x, [-1, 1]);
      // x̂_0 kept in model space at position 1 (for full decodes) and its uint8 preview (the image itself at 16 px).
      expect(run.stored).toEqual([0, 1]);
      expect(maxDiff(run.rawX0.data.subarray(x0.length), x0)).toBeLessThan(1e-4);
      expect(maxDiff(Array.from(run.x0.data, (v) => v / 255), x0.map((v) => (v + 1) / 2))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    });

    it('says which classes exist, and refuses a class for a model without classes', async () => {
      expect(await call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddim' }, steps: 2, seed: 0, batch: 1, label: 7 })).toMatchObject({
        ok: false,
        error: { code: 'bad-input', message: "class 7 is not one of the model's 4 classes (0 to 3)" },
      });
      expect(await call('diffusion.sample', { model: 'fmnist-ddpm-latent', sampler: { kind: 'ddim' }, steps: 2, seed: 0, batch: 1, label: 1 })).toMatchObject({
        ok: false,
        error: { code: 'bad-input', message: 'model "fmnist-ddpm-latent" is not class-conditional' },
      });
    });
  });
});
