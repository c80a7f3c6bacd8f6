import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { it } from 'vitest';
import { loadModelFolders } from '../../electron/engine/models/registry';
import { ort } from '../../electron/engine/runtime/ort';
import type { TensorSpecT } from '../../electron/engine/models/manifest';
import { paths } from '../helpers/engine';
import { measure, writePart, type Stats } from './harness';

const BATCHES = [1, 64];

/** Inputs for one run: timesteps spread over 0-999, class labels over the first ten, other values in [-0.8, 0.8]. */
function feeds<T>(inputs: TensorSpecT[], batch: number, make: (data: Float32Array | BigInt64Array | Int32Array, shape: number[]) => T): Record<string, T> {
  return Object.fromEntries(
    inputs.map((input) => {
      const shape = input.shape.map((d) => (d === 'batch' ? batch : d));
      const size = shape.reduce((a, b) => a * b, 1);
      const at = (i: number) => (input.name === 't' ? (i * 37) % 1000 : input.dtype === 'float32' ? Math.sin(i) * 0.8 : i % 10);
      // A class-conditional denoiser takes integer timesteps and labels (as its manifest declares).
      const data = input.dtype === 'int64' ? BigInt64Array.from({ length: size }, (_, i) => BigInt(at(i))) : input.dtype === 'int32' ? Int32Array.from({ length: size }, (_, i) => at(i)) : Float32Array.from({ length: size }, (_, i) => at(i));
      return [input.name, make(data, shape)];
    }),
  );
}

/**
 * All onnxruntime-node timings come first, then all WASM ones: V8 compiles hot WASM functions
 * again in the background (tier-up) for seconds after they first run, and on 2 cores that
 * compile took the CPU from the native runtime (the inversion graph at batch 64 measured
 * 24 ms right after its WASM runs, 11 ms before them or with tier-up disabled).
 */
it('each bundled graph at batch 1 and 64: onnxruntime-node (CPU, 2 threads) against onnxruntime-web (WASM) in Node', async () => {
  ortWeb.env.wasm.numThreads = 1;
  const { models } = await loadModelFolders(paths.models, 'bundled');
  const graphs = models.flatMap((model) => Object.entries(model.manifest.graphs).map(([role, spec]) => ({ key: `${model.manifest.id}/${role}`, file: join(model.folder, spec.file), spec })));
  const results: Record<string, { node: Record<string, Stats>; web: Record<string, Stats> }> = {};
  for (const { key, file, spec } of graphs) {
    const node = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
    results[key] = { node: {}, web: {} };
    for (const batch of BATCHES) {
      const nodeFeeds = feeds(spec.inputs, batch, (d, s) => (d instanceof BigInt64Array ? new ort.Tensor('int64', d, s) : d instanceof Int32Array ? new ort.Tensor('int32', d, s) : new ort.Tensor('float32', d, s)));
      // Same warm-up and run counts as tests/bench/torch_bench.py gives PyTorch; at batch 64 at least 30 runs, since the
      // pixel denoiser's 55 ms would otherwise give a median of about 15 samples.
      const counts = batch === 1 ? { warmup: 10, minMs: 1000, maxRuns: 2000, minRuns: 5 } : { warmup: 5, minMs: 800, maxRuns: 100, minRuns: 30 };
      results[key].node[batch] = await measure(() => node.run(nodeFeeds), { ...counts, warmupMs: 300 });
    }
    await node.release();
  }
  for (const { key, file, spec } of graphs) {
    const web = await ortWeb.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
    for (const batch of BATCHES) {
      const webFeeds = feeds(spec.inputs, batch, (d, s) => (d instanceof BigInt64Array ? new ortWeb.Tensor('int64', d, s) : d instanceof Int32Array ? new ortWeb.Tensor('int32', d, s) : new ortWeb.Tensor('float32', d, s)));
      results[key]!.web[batch] = await measure(() => web.run(webFeeds), { warmup: 2, minMs: 500, maxRuns: 60, minRuns: 3 });
    }
    await web.release();
  }
  writePart('graphs', results);
});
