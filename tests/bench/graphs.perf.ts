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

function feeds<T>(inputs: TensorSpecT[], batch: number, make: (data: Float32Array, shape: number[]) => T): Record<string, T> {
  return Object.fromEntries(
    inputs.map((input) => {
      const shape = input.shape.map((d) => (d === 'batch' ? batch : d));
      const size = shape.reduce((a, b) => a * b, 1);
      const data = input.name === 't' ? Float32Array.from({ length: size }, (_, i) => (i * 37) % 1000) : Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 0.8);
      return [input.name, make(data, shape)];
    }),
  );
}

it('each bundled graph at batch 1 and 64: onnxruntime-node (CPU, 2 threads) against onnxruntime-web (WASM) in Node', async () => {
  ortWeb.env.wasm.numThreads = 1;
  const { models } = await loadModelFolders(paths.models, 'bundled');
  const results: Record<string, { node: Record<string, Stats>; web: Record<string, Stats> }> = {};
  for (const model of models) {
    for (const [role, spec] of Object.entries(model.manifest.graphs)) {
      const file = join(model.folder, spec.file);
      const node = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
      const web = await ortWeb.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
      const entry = { node: {} as Record<string, Stats>, web: {} as Record<string, Stats> };
      for (const batch of BATCHES) {
        const nodeFeeds = feeds(spec.inputs, batch, (d, s) => new ort.Tensor('float32', d, s));
        const webFeeds = feeds(spec.inputs, batch, (d, s) => new ortWeb.Tensor('float32', d, s));
        entry.node[batch] = await measure(() => node.run(nodeFeeds), { minMs: 800, maxRuns: 200 });
        entry.web[batch] = await measure(() => web.run(webFeeds), { warmup: 2, minMs: 500, maxRuns: 60, minRuns: 3 });
      }
      results[`${model.manifest.id}/${role}`] = entry;
      await node.release();
      await web.release();
    }
  }
  writePart('graphs', results);
});
