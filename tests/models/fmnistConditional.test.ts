import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine } from '../helpers/engine';

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

interface Sampled {
  final: { shape: number[]; data: Float32Array };
}

// Each model's default guidance, from its evaluation (models/README.md): the latent model keeps more variety at 2.
describe.each([
  ['latent', 'fmnist-ddpm-latent-cond', 2],
  ['pixel', 'fmnist-ddpm-pixel-cond', 3],
])('the bundled class-conditional %s diffusion model', (_space, MODEL, GUIDANCE) => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  /** The fmnist-classifier's reading of 8 samples asked for as `label`, DDIM-25 at the model's own guidance. */
  const classified = async (label: number | undefined, seed: number) => {
    const run = ok<Sampled>(await call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 25, seed, batch: 8, ...(label === undefined ? {} : { label, guidance: GUIDANCE }) }));
    expect(run.final.shape).toEqual([8, 1, 28, 28]);
    return ok<{ predicted: number[] }>(await call('model.classify', { model: 'fmnist-classifier', images: run.final })).predicted;
  };
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it(`is listed with the ten Fashion-MNIST classes, sampling without a class too, at guidance ${GUIDANCE}`, async () => {
    const { models } = ok<{ models: { id: string; diffusion?: { conditioning?: unknown } }[] }>(await call('app.info', {}));
    expect(models.find((m) => m.id === MODEL)?.diffusion?.conditioning).toEqual({ labels: LABELS, unconditional: true, guidance: GUIDANCE });
  });

  it.each([
    ['Sandal', 5],
    ['Trouser', 1],
    ['Bag', 8],
  ])('draws what the classifier calls a %s when asked for one', async (_name, label) => {
    const predicted = await classified(label, 11);
    expect(predicted.filter((p) => p === label).length, `classified as ${predicted.map((p) => LABELS[p]).join(', ')}`).toBeGreaterThanOrEqual(7);
  });

  it('without a class, draws several different classes', async () => {
    const predicted = await classified(undefined, 12);
    expect(new Set(predicted).size).toBeGreaterThanOrEqual(4);
  });
});
