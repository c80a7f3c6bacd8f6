import { basename, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { GraphSpecT } from '../models/manifest';
import { ort } from './ort';
import type { ProviderName } from './providers';

export interface LoadedGraph {
  session: InferenceSession;
  spec: GraphSpecT;
  provider: ProviderName;
  /** Creating the session plus its one warm-up run. */
  loadMs: number;
  /** Providers that failed before the one in use, with why. */
  fallbacks: string[];
}

export interface SessionCacheOptions {
  providers: ProviderName[];
  intraOpNumThreads?: number;
}

/** One session per graph file: loaded once, checked against its manifest once, reused. */
export class SessionCache {
  private readonly loading = new Map<string, Promise<LoadedGraph>>();

  constructor(private readonly options: SessionCacheOptions) {}

  get(modelId: string, folder: string, role: string, spec: GraphSpecT): Promise<LoadedGraph> {
    const key = `${modelId}/${role}`;
    let graph = this.loading.get(key);
    if (!graph) {
      graph = this.load(modelId, join(folder, spec.file), role, spec);
      graph.catch(() => this.loading.delete(key));
      this.loading.set(key, graph);
    }
    return graph;
  }

  /** Releases a model's sessions; returns whether it had any. */
  async release(modelId: string): Promise<boolean> {
    let released = false;
    for (const [key, graph] of [...this.loading.entries()]) {
      if (!key.startsWith(`${modelId}/`)) continue;
      this.loading.delete(key);
      await (await graph.catch(() => undefined))?.session.release();
      released = true;
    }
    return released;
  }

  async releaseAll(): Promise<void> {
    const graphs = [...this.loading.values()];
    this.loading.clear();
    await Promise.all(graphs.map(async (g) => (await g.catch(() => undefined))?.session.release()));
  }

  private async load(modelId: string, path: string, role: string, spec: GraphSpecT): Promise<LoadedGraph> {
    const fallbacks: string[] = [];
    for (const provider of this.options.providers) {
      const started = performance.now();
      try {
        const session = await ort.InferenceSession.create(path, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(this.options.intraOpNumThreads ? { intraOpNumThreads: this.options.intraOpNumThreads } : {}),
        });
        checkGraphMatchesSpec(session, spec, `${modelId} ${role}`);
        await warmUp(session, spec);
        return { session, spec, provider, loadMs: performance.now() - started, fallbacks };
      } catch (error) {
        if (error instanceof ApiError) throw error;
        // No provider can read a file that is not a whole ONNX model: say so in words, once.
        if (/Protobuf parsing failed/i.test((error as Error).message)) {
          throw new ApiError('model-error', `${modelId} ${role}: ${basename(path)} is not a complete ONNX model (it may be truncated, or another kind of file): export it again`, `graphs.${role}.file`);
        }
        fallbacks.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    throw new ApiError('model-error', `could not load ${modelId} ${role} (${path}): ${fallbacks.join('; ')}`);
  }
}

/** One run at batch 1 with zeros, so the first real request does not pay for lazy initialisation. */
async function warmUp(session: InferenceSession, spec: GraphSpecT): Promise<void> {
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const input of spec.inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[input.name] = toOrtTensor(input.dtype, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  await session.run(feeds);
}

/** The contract carries every tensor as float32; integer inputs (labels, timesteps) are converted where the graph declares them. */
function toOrtTensor(dtype: GraphSpecT['inputs'][number]['dtype'], data: Float32Array, shape: readonly number[]): InstanceType<typeof ort.Tensor> {
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(Math.round(v))), shape);
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(data, (v) => Math.round(v)), shape);
  return new ort.Tensor('float32', data, shape);
}

/** The manifest's declared inputs and outputs must be the graph's, name by name, with compatible shapes. */
export function checkGraphMatchesSpec(session: InferenceSession, spec: GraphSpecT, label: string): void {
  const compare = (side: 'inputs' | 'outputs', metadata: readonly InferenceSession.ValueMetadata[]) => {
    for (const declared of spec[side]) {
      const actual = metadata.find((m) => m.name === declared.name);
      if (!actual) {
        const names = metadata.map((m) => m.name).join(', ');
        throw new ApiError('model-error', `${label}: manifest declares ${side.slice(0, -1)} "${declared.name}" but the graph has ${names}`, `graphs.${side}.${declared.name}`);
      }
      if (!actual.isTensor) continue;
      if (actual.type !== declared.dtype) {
        throw new ApiError('model-error', `${label}: "${declared.name}" is ${actual.type} in the graph but ${declared.dtype} in the manifest`, `graphs.${side}.${declared.name}.dtype`);
      }
      const shape = actual.shape;
      const fits =
        shape.length === declared.shape.length &&
        declared.shape.every((d, i) => typeof d === 'string' || typeof shape[i] === 'string' || shape[i] === d);
      if (!fits) {
        throw new ApiError(
          'model-error',
          `${label}: "${declared.name}" is [${shape.join(', ')}] in the graph but [${declared.shape.join(', ')}] in the manifest`,
          `graphs.${side}.${declared.name}.shape`,
        );
      }
    }
  };
  compare('inputs', session.inputMetadata);
  compare('outputs', session.outputMetadata);
}

/**
 * Runs a graph on float32 tensors and returns the named outputs as contract tensors. A graph
 * exported with a fixed batch (StyleGAN2's fused modulated convolution folds the batch into Conv
 * groups) runs a larger batch in chunks of its own, and the outputs are joined.
 */
export async function runGraph(graph: LoadedGraph, inputs: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
  const fixed = graph.spec.inputs[0]?.shape[0];
  const batch = Object.values(inputs)[0]?.shape[0];
  if (typeof fixed === 'number' && batch !== undefined && batch !== fixed) {
    if (batch % fixed !== 0) throw new ApiError('bad-input', `this graph was exported for batches of ${fixed}; got ${batch}`, 'args.shape');
    const chunks: Record<string, Float32Tensor>[] = [];
    for (let start = 0; start < batch; start += fixed) chunks.push(await runOnce(graph, sliceBatch(inputs, start, fixed)));
    return joinBatches(chunks);
  }
  return runOnce(graph, inputs);
}

async function runOnce(graph: LoadedGraph, inputs: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrtTensor(graph.spec.inputs.find((i) => i.name === name)?.dtype ?? 'float32', t.data, t.shape);
  const results = await graph.session.run(feeds);
  const out: Record<string, Float32Tensor> = {};
  for (const [name, value] of Object.entries(results)) {
    out[name] = float32Tensor([...value.dims], value.data as Float32Array);
  }
  return out;
}

function sliceBatch(inputs: Record<string, Float32Tensor>, start: number, count: number): Record<string, Float32Tensor> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, t]) => {
      const per = t.data.length / t.shape[0]!;
      return [name, float32Tensor([count, ...t.shape.slice(1)], t.data.subarray(start * per, (start + count) * per))];
    }),
  );
}

function joinBatches(chunks: Record<string, Float32Tensor>[]): Record<string, Float32Tensor> {
  return Object.fromEntries(
    Object.keys(chunks[0]!).map((name) => {
      const parts = chunks.map((c) => c[name]!);
      const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let offset = 0;
      for (const p of parts) {
        data.set(p.data, offset);
        offset += p.data.length;
      }
      const first = parts[0]!;
      return [name, float32Tensor([parts.reduce((n, p) => n + p.shape[0]!, 0), ...first.shape.slice(1)], data)];
    }),
  );
}
