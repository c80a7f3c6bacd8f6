import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeGraphs } from '../../electron/engine/autodiff/compose';
import { buildGradientGraph, type LossTerm } from '../../electron/engine/autodiff/differentiate';
import type { Tensor } from 'onnxruntime-node';
import { ort } from '../../electron/engine/runtime/ort';
import { repoRoot } from '../helpers/engine';
import { buildModel, seeded } from '../helpers/onnxGraphs';

const tensor = (data: Float32Array, shape: number[]) => new ort.Tensor('float32', data, shape);

/**
 * Runs the gradient graph of `terms` and compares its loss and gradient with the same loss
 * computed here in float64 from the forward graph's outputs: at each probe direction v, the
 * central difference of the loss along v against g·v.
 */
async function checkTerms(model: Uint8Array, wrt: string, x: Float32Array, xShape: number[], terms: (LossTerm & { target: Float32Array; weight?: number })[], probes: Float32Array[], h: number) {
  const graph = await buildGradientGraph(model, { wrt, terms });
  const forward = await ort.InferenceSession.create(model);
  const differentiated = await ort.InferenceSession.create(graph.bytes);
  try {
    const loss = async (input: Float32Array) => {
      const out = await forward.run({ [wrt]: tensor(input, xShape) });
      let sum = 0;
      for (const term of terms) {
        const y = out[term.output]!.data as Float32Array;
        let part = 0;
        for (let i = 0; i < y.length; i++) part += term.kind === 'squared' ? (y[i]! - term.target[i]!) ** 2 : y[i]! * term.target[i]!;
        sum += (term.weight ?? 1) * part;
      }
      return sum;
    };
    const feeds: Record<string, Tensor> = { [wrt]: tensor(x, xShape) };
    const outputs = await forward.run({ [wrt]: tensor(x, xShape) });
    terms.forEach((term, i) => {
      feeds[graph.targets[i]!] = tensor(term.target, outputs[term.output]!.dims as number[]);
      if (graph.weights[i]) feeds[graph.weights[i]!] = tensor(Float32Array.of(term.weight ?? 1), [1]);
    });
    const result = await differentiated.run(feeds);
    const gradient = result[graph.gradient]!.data as Float32Array;
    const total = (result[graph.loss]!.data as Float32Array).reduce((a, b) => a + b, 0);
    const expected = await loss(x);
    let diff = 0;
    let norm = 0;
    for (const v of probes) {
      const numeric = ((await loss(x.map((e, i) => e + h * v[i]!))) - (await loss(x.map((e, i) => e - h * v[i]!)))) / (2 * h);
      const analytic = gradient.reduce((sum, g, i) => sum + g * v[i]!, 0);
      diff += (numeric - analytic) ** 2;
      norm += numeric ** 2;
    }
    return { lossError: Math.abs(total - expected) / Math.abs(expected), relativeError: Math.sqrt(diff / norm), graph };
  } finally {
    await forward.release();
    await differentiated.release();
  }
}

const unitDirections = (count: number, length: number) =>
  Array.from({ length: count }, (_, k) => {
    const v = seeded(length, 900 + k, -1, 1);
    const norm = Math.hypot(...v);
    return v.map((e) => e / norm);
  });

const mlp = (name: string, from: number, to: number, act: string, seed: number) =>
  buildModel({
    inputs: { [name]: ['N', from] },
    floats: { W: { dims: [from, to], values: seeded(from * to, seed, -0.6, 0.6) }, c: { dims: [to], values: seeded(to, seed + 1, -0.2, 0.2) } },
    nodes: [
      ['Gemm', [name, 'W', 'c'], ['h']],
      [act, ['h'], ['y']],
    ],
    output: 'y',
  });

describe('losses of several terms', () => {
  it('a dot term Σ y·t gives the vector-Jacobian product of t (finite differences, 1e-3)', async () => {
    const x = seeded(2 * 5, 7, -1, 1);
    const target = seeded(2 * 4, 8, -1, 1);
    const check = await checkTerms(mlp('x', 5, 4, 'Tanh', 3), 'x', x, [2, 5], [{ output: 'y', kind: 'dot', target }], unitDirections(6, 10), 1e-2);
    expect(check.lossError).toBeLessThan(1e-5);
    expect(check.relativeError).toBeLessThan(1e-3);
  });

  it('composes two graphs through a range map and weights a squared term on each output (finite differences, 1e-3)', async () => {
    const first = mlp('z', 6, 8, 'Tanh', 11);
    const second = mlp('u', 8, 3, 'Sigmoid', 21);
    const composed = composeGraphs(first, second, { from: 'y', to: 'u', scale: 0.5, shift: 0.5 });
    const x = seeded(2 * 6, 5, -1, 1);
    // The composed graph computes exactly first, then the range map, then second.
    const both = await ort.InferenceSession.create(composed.bytes);
    const one = await ort.InferenceSession.create(first);
    const two = await ort.InferenceSession.create(second);
    const y = (await one.run({ z: tensor(x, [2, 6]) }))['y']!.data as Float32Array;
    const f = (await two.run({ u: tensor(y.map((v) => v * 0.5 + 0.5), [2, 8]) }))['y']!.data as Float32Array;
    const out = await both.run({ z: tensor(x, [2, 6]) });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual(Array.from(y));
    expect(Array.from(out[composed.outputs['y']!]!.data as Float32Array)).toEqual(Array.from(f));
    await Promise.all([both.release(), one.release(), two.release()]);

    const terms = [
      { output: 'y', kind: 'squared' as const, target: seeded(16, 41, -1, 1) },
      { output: composed.outputs['y']!, kind: 'squared' as const, weighted: true, weight: 3.5, target: seeded(6, 42, 0, 1) },
    ];
    const check = await checkTerms(composed.bytes, 'z', x, [2, 6], terms, unitDirections(8, 12), 1e-2);
    expect(check.graph.weights[0]).toBeUndefined();
    expect(check.graph.weights[1]).toBeDefined();
    expect(check.lossError).toBeLessThan(1e-5);
    expect(check.relativeError).toBeLessThan(1e-3);
  });

  it("composes the bundled DCGAN (opset 18) with the classifier (opset 17): the gradient is the chain rule through both graphs' own gradients (1e-4)", async () => {
    const generator = readFileSync(join(repoRoot, 'models', 'fmnist-dcgan', 'generator.onnx'));
    const classifier = readFileSync(join(repoRoot, 'models', 'fmnist-classifier', 'classifier.onnx'));
    // Generator images in [-1, 1]; the classifier reads [0, 1].
    const composed = composeGraphs(generator, classifier, { from: 'x', to: 'x', scale: 0.5, shift: 0.5 });
    expect(Object.keys(composed.outputs).sort()).toEqual(['features', 'logits']);
    const features = composed.outputs['features']!;
    const z = seeded(64, 3, -1.5, 1.5);
    const pixelsTarget = seeded(784, 5, -1, 1);
    const weight = 0.25;
    const run = async (bytes: Uint8Array, feeds: Record<string, Tensor>) => {
      const session = await ort.InferenceSession.create(bytes);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const featuresTarget = (await run(composed.bytes, { z: tensor(seeded(64, 99, -1.5, 1.5), [1, 64]) }))[features]!.data as Float32Array;

    const whole = await buildGradientGraph(composed.bytes, {
      wrt: 'z',
      terms: [
        { output: 'x', kind: 'squared' },
        { output: features, kind: 'squared', weighted: true },
      ],
    });
    expect(whole.ops['MaxPool']).toBe(2);
    const out = await run(whole.bytes, { z: tensor(z, [1, 64]), [whole.targets[0]!]: tensor(pixelsTarget, [1, 1, 28, 28]), [whole.targets[1]!]: tensor(featuresTarget, [1, 128]), [whole.weights[1]!]: tensor(Float32Array.of(weight), [1]) });

    // The same gradient in three steps: G(z); the classifier's own gradient of the features term at G(z)
    // (with respect to its input); G's vector-Jacobian product of 2 (G − t) + weight · 0.5 · that.
    const image = (await run(generator, { z: tensor(z, [1, 64]) }))['x']!.data as Float32Array;
    const classifierGrad = await buildGradientGraph(classifier, { wrt: 'x', output: 'features' });
    const c = await run(classifierGrad.bytes, { x: tensor(image.map((v) => v * 0.5 + 0.5), [1, 1, 28, 28]), [classifierGrad.target]: tensor(featuresTarget, [1, 128]) });
    const dFeatures = c[classifierGrad.gradient]!.data as Float32Array;
    const seed = image.map((v, i) => 2 * (v - pixelsTarget[i]!) + weight * 0.5 * dFeatures[i]!);
    const vjp = await buildGradientGraph(generator, { wrt: 'z', terms: [{ output: 'x', kind: 'dot' }] });
    const chained = (await run(vjp.bytes, { z: tensor(z, [1, 64]), [vjp.target]: tensor(seed, [1, 1, 28, 28]) }))[vjp.gradient]!.data as Float32Array;

    const gradient = out[whole.gradient]!.data as Float32Array;
    const error = Math.hypot(...gradient.map((g, i) => g - chained[i]!)) / Math.hypot(...chained);
    expect(error).toBeLessThan(1e-4);
    let pixelsLoss = 0;
    for (let i = 0; i < 784; i++) pixelsLoss += (image[i]! - pixelsTarget[i]!) ** 2;
    const featuresLoss = (c[classifierGrad.loss]!.data as Float32Array)[0]!;
    const loss = (out[whole.loss]!.data as Float32Array)[0]!;
    expect(Math.abs(loss - (pixelsLoss + weight * featuresLoss)) / loss).toBeLessThan(1e-5);
  });
});
