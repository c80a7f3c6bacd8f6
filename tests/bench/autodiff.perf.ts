import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { buildGradientGraph } from '../../electron/engine/autodiff/differentiate';
import { ort } from '../../electron/engine/runtime/ort';
import { paths, repoRoot } from '../helpers/engine';
import { measure, writePart, type Stats } from './harness';

const session = (model: string | Uint8Array) => ort.InferenceSession.create(model as string, { executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const wave = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase) * 0.8);

/**
 * The generator differentiated by autodiff/ against the hand-written inversion graph of the same
 * DCGAN (loss and dL/dz as forward ops), at batch 1 and 64, timed in alternating rounds in one process
 * so that both see the same machine; and the differentiated StyleGAN-style fixture's step time.
 */
it('differentiated inversion graphs against the hand-written one', async () => {
  const folder = join(paths.models, 'fmnist-dcgan');
  const generator = readFileSync(join(folder, 'generator.onnx'));
  let started = performance.now();
  const dcgan = await buildGradientGraph(generator, { wrt: 'z' });
  const dcganBuildMs = performance.now() - started;
  const handWritten = await session(join(folder, 'inversion.onnx'));
  const differentiated = await session(dcgan.bytes);
  const result: Record<string, { handWritten: Stats; differentiated: Stats }> = {};
  for (const batch of [1, 64]) {
    const z = new ort.Tensor('float32', wave(batch * 64, 0), [batch, 64]);
    const x = new ort.Tensor('float32', wave(batch * 784, 1), [batch, 1, 28, 28]);
    const counts = batch === 1 ? { warmup: 20, warmupMs: 300, minMs: 1500, maxRuns: 3000, minRuns: 20 } : { warmup: 5, warmupMs: 300, minMs: 1500, maxRuns: 150, minRuns: 30 };
    const rounds: { handWritten: Stats[]; differentiated: Stats[] } = { handWritten: [], differentiated: [] };
    for (let round = 0; round < 3; round++) {
      rounds.handWritten.push(await measure(() => handWritten.run({ z, x }), counts));
      rounds.differentiated.push(await measure(() => differentiated.run({ [dcgan.code]: z, [dcgan.target]: x }), counts));
    }
    const best = (list: Stats[]) => list.reduce((a, b) => (b.median < a.median ? b : a));
    result[batch] = { handWritten: best(rounds.handWritten), differentiated: best(rounds.differentiated) };
  }
  await Promise.all([handWritten.release(), differentiated.release()]);

  const fixture = join(repoRoot, 'tests', 'fixtures', 'models', 'stylegan-tiny');
  started = performance.now();
  const stylegan = await buildGradientGraph(readFileSync(join(fixture, 'generator.onnx')), { wrt: 'z' });
  const styleganBuildMs = performance.now() - started;
  const step = await session(stylegan.bytes);
  const forward = await session(join(fixture, 'generator.onnx'));
  const z = new ort.Tensor('float32', wave(64, 2), [1, 64]);
  const target = new ort.Tensor('float32', wave(3 * 64 * 64, 3), [1, 3, 64, 64]);
  const styleganStep = await measure(() => step.run({ [stylegan.code]: z, [stylegan.target]: target }), { warmup: 10, warmupMs: 300, minMs: 2000, maxRuns: 1000, minRuns: 20 });
  const styleganForward = await measure(() => forward.run({ z }), { warmup: 10, warmupMs: 300, minMs: 2000, maxRuns: 1000, minRuns: 20 });
  await Promise.all([step.release(), forward.release()]);
  writePart('autodiff', {
    dcgan: result,
    build: { 'fmnist-dcgan': dcganBuildMs, 'stylegan-tiny': styleganBuildMs },
    styleganTiny: { step: styleganStep, forward: styleganForward, nodes: stylegan.ops },
  });
});
