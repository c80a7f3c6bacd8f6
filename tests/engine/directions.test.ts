import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commit, emptyHistory, HISTORY_LIMIT, redo, restoredHistory, setAmount, undo } from '../../electron/common/editHistory';
import { randomNormal } from '../../electron/common/random';
import { applyEdits, dot, orthogonalize } from '../../electron/common/vectors';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { BOUNDARY_EXACT_DIM, fitBoundary } from '../../electron/engine/ops/directions';
import { callOptions, ok, realEngine } from '../helpers/engine';

const SNEAKER = 7;
const ANKLE_BOOT = 9;

describe('directions on the real VAE', () => {
  let engine: Engine;
  const call = (name: string, args: unknown, progress: unknown[] = []) => dispatchCall(engine.handlers, name, args, callOptions(progress));
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('Δ from labelled sets equals the difference of the class means computed directly', async () => {
    const { codes, labels } = ok<{ codes: { data: Float32Array }; labels: number[] }>(await call('dataset.encode', { model: 'fmnist-vae' }));
    const { vector, positive, negative } = ok<{ vector: { data: Float32Array; shape: number[] }; positive: number; negative: number }>(
      await call('direction.meanDifference', { model: 'fmnist-vae', positive: { classes: [ANKLE_BOOT] }, negative: { classes: [SNEAKER] } }),
    );
    expect([positive, negative]).toEqual([1000, 1000]);
    expect(vector.shape).toEqual([16]);
    for (let j = 0; j < 16; j++) {
      let boots = 0;
      let sneakers = 0;
      labels.forEach((label, n) => {
        if (label === ANKLE_BOOT) boots += codes.data[n * 16 + j]!;
        if (label === SNEAKER) sneakers += codes.data[n * 16 + j]!;
      });
      expect(vector.data[j]).toBeCloseTo(boots / 1000 - sneakers / 1000, 5);
    }
    const picked = ok<{ positive: number }>(await call('direction.meanDifference', { model: 'fmnist-vae', positive: { indices: [0, 1, 2] }, negative: { classes: [0] } }));
    expect(picked.positive).toBe(3);
    const bad = await call('direction.meanDifference', { model: 'fmnist-vae', positive: { indices: [20000] }, negative: { classes: [0] } });
    expect(bad).toMatchObject({ ok: false, error: { field: 'args.positive.indices' } });
  });

  it("directions between labels of another of the dataset's label sets: the emoji split's categories under the emoji VAE", async () => {
    const dataset = 'bundled-emoji-64';
    const { labels: categories, names } = ok<{ labels: number[]; names: string[] }>(await call('dataset.labels', { dataset, set: 1 }));
    const [food, animals] = [names.indexOf('Food & Drink'), names.indexOf('Animals & Nature')];
    const count = (c: number) => categories.filter((l) => l === c).length;
    const r = ok<{ vector: { shape: number[] }; positive: number; negative: number }>(
      await call('direction.meanDifference', { model: 'emoji-vae', dataset, positive: { classes: [food] }, negative: { classes: [animals] }, labelSet: 1 }),
    );
    expect(r.vector.shape).toEqual([4, 16, 16]);
    expect([r.positive, r.negative]).toEqual([count(food), count(animals)]);
    const b = ok<{ positives: number; negatives: number; accuracy: number }>(await call('direction.labelBoundary', { model: 'emoji-vae', dataset, positive: [food], negative: [animals], labelSet: 1 }));
    expect([b.positives, b.negatives]).toEqual([count(food), count(animals)]);
    expect(b.accuracy).toBeGreaterThan(0.5);
    const missing = await call('direction.meanDifference', { model: 'emoji-vae', dataset, positive: { classes: [0] }, negative: { classes: [1] }, labelSet: 9 });
    expect(missing).toMatchObject({ ok: false, error: { field: 'args.labelSet' } });
  });

  it('the linear boundary separates the classifier’s most and least ankle-boot-like samples', async () => {
    const progress: { done: number }[] = [];
    const result = ok<{ vector: { data: Float32Array }; accuracy: number; positives: number; scoreRange: [number, number] }>(
      await call('direction.boundary', { model: 'fmnist-vae', classifier: 'fmnist-classifier', target: [ANKLE_BOOT], samples: 1000, share: 0.1, seed: 1 }, progress),
    );
    expect(result.positives).toBe(100);
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(Math.hypot(...result.vector.data)).toBeCloseTo(1, 5);
    expect(result.scoreRange[1]).toBeGreaterThan(result.scoreRange[0]);
    expect(progress.at(-1)).toEqual({ done: 1000, total: 1000 });
    console.log(`boundary accuracy ${result.accuracy.toFixed(3)} on ${result.positives}+${result.positives} samples`);
  });

  it('principal directions are one standard deviation long, by decreasing variance', async () => {
    const { vectors, explained } = ok<{ vectors: { shape: number[] }; explained: number[] }>(await call('direction.principal', { model: 'fmnist-vae', count: 4 }));
    expect(vectors.shape).toEqual([4, 16]);
    expect(explained[0]).toBeGreaterThan(explained[3]!);
  });
});

describe('boundary fitting', () => {
  it('recovers a known separating direction', async () => {
    const dim = 8;
    const codes = randomNormal(2000 * dim, 3);
    const truth = Float32Array.from({ length: dim }, (_, j) => (j === 2 ? 1 : 0));
    const scores = Array.from({ length: 2000 }, (_, n) => dot(codes.subarray(n * dim, (n + 1) * dim), truth));
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    const fit = await fitBoundary(codes, dim, order.slice(0, 200), order.slice(-200));
    expect(fit.accuracy).toBe(1);
    expect(dot(fit.normal, truth)).toBeGreaterThan(0.95);
  });

  it('large codes (1,024 values, as the Emoji VAE has) are fitted on their leading components: the direction, its side and the bias still hold', async () => {
    const [dim, count] = [1024, 600];
    expect(dim).toBeGreaterThan(BOUNDARY_EXACT_DIM);
    // Codes as a decoder's are: most of their variance along a few directions (here 8, three times the attribute's),
    // the attribute along another, and a little noise in every value.
    const axes = Array.from({ length: 9 }, (_, k) => {
      const v = randomNormal(dim, 10 + k);
      return v.map((x) => x / Math.hypot(...v));
    });
    const weights = randomNormal(count * 9, 5);
    const noise = randomNormal(count * dim, 6);
    const codes = new Float32Array(count * dim);
    for (let n = 0; n < count; n++)
      for (let j = 0; j < dim; j++) {
        let v = 0.05 * noise[n * dim + j]!;
        for (let k = 0; k < 9; k++) v += (k < 8 ? 3 : 1) * weights[n * 9 + k]! * axes[k]![j]!;
        codes[n * dim + j] = v;
      }
    const truth = axes[8]!;
    const scores = Array.from({ length: count }, (_, n) => dot(codes.subarray(n * dim, (n + 1) * dim), truth));
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    const [plus, minus] = [order.slice(0, 150), order.slice(-150)];
    // In the full space this took 19 s for 240 codes (IRLS on 1,025² normal equations).
    const fit = await fitBoundary(codes, dim, plus, minus);
    expect(fit.accuracy).toBe(1);
    expect(Math.hypot(...fit.normal)).toBeCloseTo(1, 5);
    expect(dot(fit.normal, truth)).toBeGreaterThan(0.9);
    const side = (n: number) => dot(codes.subarray(n * dim, (n + 1) * dim), fit.normal) + fit.bias;
    expect(plus.every((n) => side(n) > 0) && minus.every((n) => side(n) < 0)).toBe(true);
  });
});

describe('editing', () => {
  it('orthogonalising leaves dot products with the others ≈ 0 and keeps the length', () => {
    const a = randomNormal(16, 1);
    const b = randomNormal(16, 2);
    const c = randomNormal(16, 3);
    const o = orthogonalize(a, [b, c]);
    expect(Math.abs(dot(o, b))).toBeLessThan(1e-5);
    expect(Math.abs(dot(o, c))).toBeLessThan(1e-5);
    expect(Math.hypot(...o)).toBeCloseTo(Math.hypot(...a), 5);
  });

  it('applying then undoing an edit restores the exact code, and redo reapplies it', () => {
    const base = randomNormal(16, 4);
    const vectors = new Map([['boot', randomNormal(16, 5)], ['dark', randomNormal(16, 6)]]);
    let history = emptyHistory();
    history = commit(history, setAmount(history.present, 'boot', 2.5));
    const once = applyEdits(base, history.present, vectors);
    history = commit(history, setAmount(history.present, 'dark', -1.25));
    const twice = applyEdits(base, history.present, vectors);
    expect(twice).not.toEqual(once);
    history = undo(history);
    expect(applyEdits(base, history.present, vectors)).toEqual(once);
    history = undo(history);
    expect(applyEdits(base, history.present, vectors)).toEqual(base);
    history = redo(redo(history));
    expect(applyEdits(base, history.present, vectors)).toEqual(twice);
    expect(undo(emptyHistory())).toEqual(emptyHistory());
  });

  it(`undo keeps the last ${HISTORY_LIMIT} steps, and a history read back from a project is trimmed the same way`, () => {
    let history = emptyHistory();
    for (let i = 1; i <= HISTORY_LIMIT + 20; i++) history = commit(history, setAmount(history.present, 'boot', i));
    expect(history.past).toHaveLength(HISTORY_LIMIT);
    expect(history.past[0]).toEqual([{ direction: 'boot', amount: 20 }]);
    const stacks = Array.from({ length: 300 }, (_, i) => [{ direction: 'boot', amount: i }]);
    const restored = restoredHistory([{ direction: 'boot', amount: -1 }], stacks, stacks);
    expect(restored.past).toHaveLength(HISTORY_LIMIT);
    expect(restored.past.at(-1)).toEqual([{ direction: 'boot', amount: 299 }]);
    expect(restored.future).toHaveLength(HISTORY_LIMIT);
    expect(restored.future[0]).toEqual([{ direction: 'boot', amount: 0 }]);
    expect(undo(restored).present).toEqual([{ direction: 'boot', amount: 299 }]);
  });
});
