import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGradientGraph, GradientError } from '../../electron/engine/autodiff/differentiate';
import { ort } from '../../electron/engine/runtime/ort';
import { paths } from '../helpers/engine';
import { buildModel, seeded } from '../helpers/onnxGraphs';

const maxRelative = (a: Float32Array, b: Float32Array) => {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
};

describe('the differentiated DCGAN generator', () => {
  it('returns the loss and dL/dz of the hand-written inversion graph to 1e-5', async () => {
    const folder = join(paths.models, 'fmnist-dcgan');
    const graph = await buildGradientGraph(readFileSync(join(folder, 'generator.onnx')), { wrt: 'z' });
    const differentiated = await ort.InferenceSession.create(graph.bytes);
    const handWritten = await ort.InferenceSession.create(join(folder, 'inversion.onnx'));
    const generator = await ort.InferenceSession.create(join(folder, 'generator.onnx'));
    try {
      const batch = 8;
      const z = new ort.Tensor('float32', seeded(batch * 64, 1, -2, 2), [batch, 64]);
      const x = (await generator.run({ z: new ort.Tensor('float32', seeded(batch * 64, 2, -2, 2), [batch, 64]) }))['x']!;
      const ours = await differentiated.run({ [graph.code]: z, [graph.target]: x });
      const theirs = await handWritten.run({ z, x });
      const loss = ours[graph.loss]!.data as Float32Array;
      const gradient = ours[graph.gradient]!.data as Float32Array;
      expect(ours[graph.gradient]!.dims).toEqual([batch, 64]);
      expect(maxRelative(loss, theirs['loss']!.data as Float32Array)).toBeLessThan(1e-5);
      expect(maxRelative(gradient, theirs['grad']!.data as Float32Array)).toBeLessThan(1e-5);
      expect(Object.keys(graph.ops).sort()).toEqual(['Add', 'Col2Im', 'Gemm', 'MatMul', 'Relu', 'Reshape', 'Tanh']);
    } finally {
      await Promise.all([differentiated.release(), handWritten.release(), generator.release()]);
    }
  });
});

describe('graphs that cannot be differentiated', () => {
  it('name the operator and the node', async () => {
    const model = buildModel({ inputs: { z: ['N', 4] }, nodes: [['Round', ['z'], ['r']], ['Tanh', ['r'], ['y']]], output: 'y' });
    const error = await buildGradientGraph(model, { wrt: 'z' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GradientError);
    expect((error as GradientError).op).toBe('Round');
    expect((error as GradientError).message).toBe('Round node "Round_0" has no gradient rule: the operator Round is not supported');
  });

  it('say when the output does not depend on the input', async () => {
    const model = buildModel({ inputs: { z: ['N', 4], u: ['N', 4] }, nodes: [['Tanh', ['u'], ['y']], ['Relu', ['z'], ['unused']]], output: 'y' });
    await expect(buildGradientGraph(model, { wrt: 'z' })).rejects.toThrow('output "y" does not depend on input "z"');
  });

  it('ask for a newer opset', async () => {
    const model = buildModel({ inputs: { z: ['N', 4] }, nodes: [['Tanh', ['z'], ['y']]], output: 'y', opset: 11 });
    await expect(buildGradientGraph(model, { wrt: 'z' })).rejects.toThrow('the graph uses opset 11; differentiation needs opset 13 or later');
  });

  it('say that a file is not an ONNX model', async () => {
    await expect(buildGradientGraph(new Uint8Array([1, 2, 3, 4, 5]), { wrt: 'z' })).rejects.toThrow();
  });
});
