import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { buildGradientGraph } from '../../electron/engine/autodiff/differentiate';
import { ort } from '../../electron/engine/runtime/ort';
import { paths, repoRoot } from '../helpers/engine';
import { parityErrors } from '../helpers/parity';
import { measure, writePart, type Stats } from './harness';

const session = (model: string | Uint8Array) => ort.InferenceSession.create(model as string, { executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const wave = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase) * 0.8);

/**
 * The generator differentiated by autodiff/ against the hand-written inversion graph of the same
 * DCGAN (loss and dL/dz as forward ops), at batch 1 and 64, timed in alternating rounds in one process
 * so that both see the same machine; and the differentiated StyleGAN-style fixtures' step times.
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
  const best = (list: Stats[]) => list.reduce((a, b) => (b.median < a.median ? b : a));
  for (const batch of [1, 64]) {
    const z = new ort.Tensor('float32', wave(batch * 64, 0), [batch, 64]);
    const x = new ort.Tensor('float32', wave(batch * 784, 1), [batch, 1, 28, 28]);
    const counts = batch === 1 ? { warmup: 20, warmupMs: 300, minMs: 1500, maxRuns: 3000, minRuns: 20 } : { warmup: 5, warmupMs: 300, minMs: 1500, maxRuns: 150, minRuns: 30 };
    const rounds: { handWritten: Stats[]; differentiated: Stats[] } = { handWritten: [], differentiated: [] };
    for (let round = 0; round < 3; round++) {
      rounds.handWritten.push(await measure(() => handWritten.run({ z, x }), counts));
      rounds.differentiated.push(await measure(() => differentiated.run({ [dcgan.code]: z, [dcgan.target]: x }), counts));
    }
    result[batch] = { handWritten: best(rounds.handWritten), differentiated: best(rounds.differentiated) };
  }
  await Promise.all([handWritten.release(), differentiated.release()]);

  // The StyleGAN-style fixtures at 64 and 256 px: one inversion step at batch 1 (loss and dL/dcode) in z through the
  // generator and in w+ through the synthesis graph, against the generator's forward pass, in alternating rounds.
  // tests/bench/torch_bench.py times PyTorch autograd on the same weights with the same counts; both sides record
  // their largest parity error against the fixture's parity.json.
  const build: Record<string, number> = { 'fmnist-dcgan': dcganBuildMs };
  const stylegan: Record<string, { forward: Stats; step: Stats; stepWPlus: Stats; nodes: Record<string, number>; parity: number }> = {};
  for (const id of ['stylegan-tiny', 'stylegan-256']) {
    const fixture = join(repoRoot, 'tests', 'fixtures', 'models', id);
    const manifest = JSON.parse(readFileSync(join(fixture, 'manifest.json'), 'utf8')) as { image: { height: number; width: number }; latent: { shape: number[] }; style: { numWs: number; wDim: number } };
    started = performance.now();
    const inZ = await buildGradientGraph(readFileSync(join(fixture, 'generator.onnx')), { wrt: 'z' });
    build[id] = performance.now() - started;
    const inW = await buildGradientGraph(readFileSync(join(fixture, 'synthesis.onnx')), { wrt: 'ws' });
    const [forward, stepZ, stepW] = [await session(join(fixture, 'generator.onnx')), await session(inZ.bytes), await session(inW.bytes)];
    const { height, width } = manifest.image;
    const [zDim] = manifest.latent.shape as [number];
    const { numWs, wDim } = manifest.style;
    const z = new ort.Tensor('float32', wave(zDim, 2), [1, zDim]);
    const ws = new ort.Tensor('float32', wave(numWs * wDim, 4), [1, numWs, wDim]);
    const target = new ort.Tensor('float32', wave(3 * height * width, 3), [1, 3, height, width]);
    const counts = height >= 256 ? { warmup: 3, warmupMs: 300, minMs: 2000, maxRuns: 200, minRuns: 10 } : { warmup: 10, warmupMs: 300, minMs: 2000, maxRuns: 1000, minRuns: 20 };
    const rounds: { forward: Stats[]; step: Stats[]; stepWPlus: Stats[] } = { forward: [], step: [], stepWPlus: [] };
    for (let round = 0; round < 3; round++) {
      rounds.forward.push(await measure(() => forward.run({ z }), counts));
      rounds.step.push(await measure(() => stepZ.run({ [inZ.code]: z, [inZ.target]: target }), counts));
      rounds.stepWPlus.push(await measure(() => stepW.run({ [inW.code]: ws, [inW.target]: target }), counts));
    }
    await Promise.all([forward.release(), stepZ.release(), stepW.release()]);
    const parity = Math.max(...Object.values(await parityErrors(fixture)));
    stylegan[id] = { forward: best(rounds.forward), step: best(rounds.step), stepWPlus: best(rounds.stepWPlus), nodes: inZ.ops, parity };
  }
  writePart('autodiff', {
    dcgan: result,
    build,
    // step: in z; stepWPlus: in w+.
    styleganTiny: stylegan['stylegan-tiny'],
    stylegan256: stylegan['stylegan-256'],
  });
});
