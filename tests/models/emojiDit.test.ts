import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine } from '../helpers/engine';

const MODEL = 'emoji-dit';
const SYSTEMS = ['Noto', 'Twemoji', 'OpenMoji', 'Fluent'];
const CATEGORIES = ['Smileys & Emotion', 'People & Body', 'Animals & Nature', 'Food & Drink', 'Travel & Places', 'Activities', 'Objects', 'Symbols', 'Flags'];
const label = (system: number, category: number) => system * CATEGORIES.length + category;

interface Sampled {
  final: { shape: number[]; data: Float32Array };
}

describe('the bundled emoji DiT', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  /** The emoji classifier's (system, category) for 8 samples asked for as `wanted`, DDIM-25 (decoded through emoji-vae). */
  const classified = async (wanted: number, seed: number, guidance = 4) => {
    const run = ok<Sampled>(await call('diffusion.sample', { model: MODEL, sampler: { kind: 'ddim', eta: 0 }, steps: 25, seed, batch: 8, label: wanted, guidance }));
    expect(run.final.shape).toEqual([8, 3, 64, 64]);
    const { predicted } = ok<{ predicted: number[] }>(await call('model.classify', { model: 'emoji-classifier', images: run.final }));
    return predicted.map((p) => ({ system: Math.floor(p / CATEGORIES.length), category: p % CATEGORIES.length }));
  };
  const named = (got: { system: number; category: number }[]) => got.map((g) => `${SYSTEMS[g.system]} · ${CATEGORIES[g.category]}`).join(', ');
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('is listed with the 36 design system · category pairs, sampling without a label too, at guidance 7 by default', async () => {
    const { models } = ok<{ models: { id: string; diffusion?: { conditioning?: { labels: string[]; unconditional: boolean; guidance: number } } }[] }>(await call('app.info', {}));
    const conditioning = models.find((m) => m.id === MODEL)?.diffusion?.conditioning;
    expect(conditioning?.labels).toEqual(SYSTEMS.flatMap((s) => CATEGORIES.map((c) => `${s} · ${c}`)));
    expect(conditioning).toMatchObject({ unconditional: true, guidance: 7 });
  });

  // Chance is 1 in 9 for a category. Measured at step 18,548 (seed 21, 8 samples): 8/8 for both, 1 to 2/8 at guidance 1.
  it.each([
    ['OpenMoji', 'Smileys & Emotion', 2, 0],
    ['Noto', 'Flags', 0, 8],
  ])('draws what the emoji classifier calls %s · %s when asked for one, and less so with little guidance', async (_system, _category, system, category) => {
    const guided = await classified(label(system, category), 21);
    const hits = guided.filter((g) => g.category === category).length;
    expect(hits, named(guided)).toBeGreaterThanOrEqual(5);
    const unguided = await classified(label(system, category), 21, 1);
    expect(unguided.filter((g) => g.category === category).length, named(unguided)).toBeLessThan(hits);
  });
});
