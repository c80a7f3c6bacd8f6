import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';
import { buildModel, seeded } from '../helpers/onnxGraphs';

type Tensor = { shape: number[]; data: Float32Array };
const NUM_WS = 10;
const W_DIM = 64;

/**
 * A user folder with a copy of the StyleGAN-style fixture and a small colour classifier for its
 * 64×64 images (two convolutions, max-pooling, a linear layer: four classes), so every W-space
 * direction method has what it needs.
 */
function userFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'style-directions-'));
  cpSync(join(repoRoot, 'tests', 'fixtures', 'models', 'stylegan-tiny'), join(root, 'stylegan-tiny'), { recursive: true, filter: (path) => !path.includes('.latent-studio') });
  const dir = join(root, 'colour-classifier');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'classifier.onnx'),
    buildModel({
      inputs: { x: ['N', 3, 64, 64] },
      floats: {
        k1: { dims: [8, 3, 3, 3], values: seeded(216, 1, -0.5, 0.5) },
        k2: { dims: [8, 8, 3, 3], values: seeded(576, 2, -0.3, 0.3) },
        w: { dims: [8 * 16 * 16, 4], values: seeded(8 * 256 * 4, 3, -0.05, 0.05) },
        b: { dims: [4], values: [0, 0.1, -0.1, 0.2] },
      },
      nodes: [
        ['Conv', ['x', 'k1'], ['c1'], { pads: [1, 1, 1, 1] }],
        ['Relu', ['c1'], ['r1']],
        ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }],
        ['Conv', ['p1', 'k2'], ['c2'], { pads: [1, 1, 1, 1] }],
        ['Relu', ['c2'], ['r2']],
        ['MaxPool', ['r2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }],
        ['Flatten', ['p2'], ['features']],
        ['Gemm', ['features', 'w', 'b'], ['logits']],
      ],
      output: 'logits',
      opset: 17,
    }),
  );
  const spec = (name: string, shape: (number | string)[]) => ({ name, shape, dtype: 'float32' });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      format: 1,
      id: 'colour-classifier',
      name: 'Colour classifier (test)',
      kind: 'classifier',
      image: { channels: 3, height: 64, width: 64, range: [0, 1] },
      graphs: { classifier: { file: 'classifier.onnx', inputs: [spec('x', ['batch', 3, 64, 64])], outputs: [spec('logits', ['batch', 4])] } },
      labels: ['a', 'b', 'c', 'd'],
    }),
  );
  return root;
}

describe('directions in W and W+ for a StyleGAN-style model', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
    const library = ok<{ problems: unknown[] }>(await call('library.addFolder', { path: userFolder() }));
    expect(library.problems).toEqual([]);
  });
  afterAll(() => engine.dispose());

  it('maps z to w', async () => {
    const { w } = ok<{ w: Tensor }>(await call('model.map', { model: 'stylegan-tiny', z: float32Tensor([3, 64], seeded(192, 5)) }));
    expect(w.shape).toEqual([3, W_DIM]);
    expect(await call('model.map', { model: 'stylegan-tiny', z: float32Tensor([1, 5], new Float32Array(5)) })).toMatchObject({ ok: false, error: { field: 'args.z.shape' } });
  });

  it('principal directions of mapped samples (GANSpace): one standard deviation each, in w, and the same on every layer in w+', async () => {
    const inW = ok<{ vectors: Tensor; explained: number[] }>(await call('direction.principal', { model: 'stylegan-tiny', count: 4, space: 'w' }));
    expect(inW.vectors.shape).toEqual([4, W_DIM]);
    expect([...inW.explained].sort((a, b) => b - a)).toEqual(inW.explained);
    const inWPlus = ok<{ vectors: Tensor }>(await call('direction.principal', { model: 'stylegan-tiny', count: 4, space: 'w+' }));
    expect(inWPlus.vectors.shape).toEqual([4, NUM_WS, W_DIM]);
    for (let l = 0; l < NUM_WS; l++) expect(Array.from(inWPlus.vectors.data.slice(l * W_DIM, (l + 1) * W_DIM))).toEqual(Array.from(inW.vectors.data.slice(0, W_DIM)));
  });

  it("a class's gradient in w and in w+ through synthesis and the classifier: its slope matches a finite difference of log P", async () => {
    const { w } = ok<{ w: Tensor }>(await call('model.map', { model: 'stylegan-tiny', z: float32Tensor([1, 64], seeded(64, 9)) }));
    const logP = async (code: Float32Array, space: 'w' | 'w+') => {
      const { images } = ok<{ images: Tensor }>(await call('model.decode', { model: 'stylegan-tiny', z: float32Tensor(space === 'w' ? [1, W_DIM] : [1, NUM_WS, W_DIM], code), space }));
      const { probabilities } = ok<{ probabilities: Tensor }>(await call('model.classify', { model: 'colour-classifier', images }));
      return Math.log(probabilities.data[2]!);
    };
    const wPlus = Float32Array.from({ length: NUM_WS * W_DIM }, (_, i) => w.data[i % W_DIM]!);
    for (const [space, code] of [['w', w.data], ['w+', wPlus]] as const) {
      const r = ok<{ vector: Tensor; slope: number; probability: number }>(await call('direction.gradient', { model: 'stylegan-tiny', classifier: 'colour-classifier', target: [2], code: float32Tensor([1, code.length], code), space }));
      expect(r.vector.shape).toEqual(space === 'w' ? [W_DIM] : [NUM_WS, W_DIM]);
      const h = 1e-3;
      const along = (s: number) => code.map((c, i) => c + s * r.vector.data[i]!);
      const numeric = ((await logP(along(h), space)) - (await logP(along(-h), space))) / (2 * h);
      expect(Math.abs(numeric - r.slope) / r.slope, space).toBeLessThan(0.02);
    }
  });

  it('a boundary fitted on the w of mapped samples', async () => {
    const r = ok<{ vector: Tensor; accuracy: number }>(await call('direction.boundary', { model: 'stylegan-tiny', classifier: 'colour-classifier', target: [2], samples: 400, share: 0.2, space: 'w' }));
    expect(r.vector.shape).toEqual([W_DIM]);
    expect(r.accuracy).toBeGreaterThan(0.7);
    const plus = ok<{ vector: Tensor }>(await call('direction.boundary', { model: 'stylegan-tiny', classifier: 'colour-classifier', target: [2], samples: 400, share: 0.2, space: 'w+' }));
    expect(plus.vector.shape).toEqual([NUM_WS, W_DIM]);
  });
});
