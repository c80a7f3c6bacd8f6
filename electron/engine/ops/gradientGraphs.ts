import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../api/errors';
import { buildGradientGraph, GradientError } from '../autodiff/differentiate';
import { writeFileAtomic } from '../atomicWrite';
import { fileDigest } from '../models/fingerprint';
import type { ModelHost } from '../models/host';
import type { GraphSpecT } from '../models/manifest';
import type { RegisteredModel } from '../models/registry';
import type { LoadedGraph } from '../runtime/sessions';

/** Bumped whenever a gradient rule changes, so that graphs cached by an older version are rebuilt. */
const DIFFERENTIATOR_VERSION = 'autodiff-1';

/** A graph that returns the per-sample loss Σ (G(code) − target)² and dloss/dcode. */
export interface InversionGraph {
  graph: LoadedGraph;
  code: string;
  target: string;
  loss: string;
  gradient: string;
  /** Where the gradient comes from: the model's own inversion graph, or its generator differentiated here. */
  source: 'inversion graph' | 'differentiated generator';
}

/** The generator has an op without a gradient rule (or another reason it cannot be differentiated). */
export class NotDifferentiable extends ApiError {}

const building = new Map<string, Promise<GraphSpecT>>();
const cacheFolders = new Map<string, Promise<string>>();

/** The names a loss-and-gradient graph's spec gives its (code, target) inputs and (loss, gradient) outputs. */
function namesOf(spec: GraphSpecT): Pick<InversionGraph, 'code' | 'target' | 'loss' | 'gradient'> {
  const [code, target] = spec.inputs.map((i) => i.name) as [string, string];
  const [loss, gradient] = spec.outputs.map((o) => o.name) as [string, string];
  return { code, target, loss, gradient };
}

/**
 * The model's hand-written inversion graph where its manifest has one; otherwise its generator
 * differentiated into one, cached beside the model (keyed by the generator's bytes) so that it is
 * built once. A generator that cannot be differentiated raises an error naming the operator.
 */
export async function inversionGraph(host: ModelHost, model: RegisteredModel, space: 'z' | 'w' | 'w+' = 'z'): Promise<InversionGraph> {
  const { graphs, id } = model.manifest;
  if (graphs['inversion'] && space === 'z') {
    const graph = await host.graph(model, 'inversion');
    return { graph, ...namesOf(graph.spec), source: 'inversion graph' };
  }
  // z codes go through the whole generator; w and w+ codes through the synthesis graph alone.
  const role = space === 'z' ? 'generator' : 'synthesis';
  const generator = graphs[role];
  if (!generator) throw new ApiError('bad-input', `model "${id}" has no ${role} graph to invert`, 'args.model');
  if (generator.inputs.length !== 1) {
    throw new ApiError('bad-input', `model "${id}": its ${role} takes ${generator.inputs.length} inputs; inversion differentiates graphs with one input (the code)`, 'args.model');
  }
  const generatorPath = join(model.folder, generator.file);
  // fileDigest caches by path, size and modification time: the generator is hashed once per change.
  const key = createHash('sha256').update(DIFFERENTIATOR_VERSION).update(await fileDigest(generatorPath)).digest('hex').slice(0, 16);
  const spec = differentiatedSpec(generator, `inversion-${role === 'generator' ? '' : `${role}-`}${key}.onnx`);
  let folder = cacheFolders.get(model.folder);
  if (!folder) cacheFolders.set(model.folder, (folder = cacheFolder(model.folder, host.cacheDir)));
  const path = join(await folder, spec.file);
  const sidecar = `${path}.json`;
  let stored = await readFile(sidecar, 'utf8').then((text) => JSON.parse(text) as GraphSpecT, () => undefined);
  if (!stored) {
    let pending = building.get(path);
    if (!pending) {
      pending = buildAndStore(generatorPath, generator, path, sidecar, spec, id, role);
      building.set(path, pending);
      pending.finally(() => building.delete(path)).catch(() => {});
    }
    stored = await pending;
  }
  const graph = await host.graphAt(model, role === 'generator' ? 'inversion' : `inversion-${role}`, await folder, stored);
  return { graph, ...namesOf(stored), source: 'differentiated generator' };
}

/** Differentiates the generator, writes the graph and then its sidecar spec, and returns that spec. */
async function buildAndStore(generatorPath: string, generator: GraphSpecT, path: string, sidecar: string, spec: GraphSpecT, id: string, role: string): Promise<GraphSpecT> {
  const bytes = await readFile(generatorPath);
  if (bytes.length === 0) throw new ApiError('model-error', `model "${id}": ${generator.file} is empty (0 bytes)`, `graphs.${role}.file`);
  let built;
  try {
    built = await buildGradientGraph(bytes, { wrt: generator.inputs[0]!.name, output: generator.outputs[0]!.name });
  } catch (error) {
    const reason = error instanceof GradientError ? error.message : `the ${role} could not be read (${(error as Error).message.split('\n')[0]})`;
    throw new NotDifferentiable('model-error', `model "${id}" cannot be inverted by gradients: ${reason}`, `graphs.${role}`);
  }
  const named: GraphSpecT = {
    ...spec,
    inputs: [spec.inputs[0]!, { ...spec.inputs[1]!, name: built.target }],
    outputs: [
      { ...spec.outputs[0]!, name: built.loss },
      { ...spec.outputs[1]!, name: built.gradient },
    ],
  };
  await writeFileAtomic(path, built.bytes);
  // The sidecar goes last: its presence says the graph beside it is whole.
  await writeFileAtomic(sidecar, JSON.stringify(named, null, 2));
  return named;
}

/** The derived graph's inputs and outputs, from the generator's: (code, target) → (loss, dloss/dcode). */
function differentiatedSpec(generator: GraphSpecT, file: string): GraphSpecT {
  const code = generator.inputs[0]!;
  const image = generator.outputs[0]!;
  return {
    file,
    inputs: [code, { ...image, name: 'target' }],
    outputs: [
      { name: 'loss', shape: [image.shape[0]!], dtype: 'float32' },
      { name: 'grad', shape: code.shape, dtype: 'float32' },
    ],
  };
}

/** `.latent-studio/` inside the model's folder, or the app's cache folder where that cannot be written. */
async function cacheFolder(modelFolder: string, fallback: string): Promise<string> {
  const beside = join(modelFolder, '.latent-studio');
  try {
    await mkdir(beside, { recursive: true });
    await writeFileAtomic(join(beside, '.writable'), '');
    return beside;
  } catch {
    const folder = join(fallback, 'gradient-graphs');
    await mkdir(folder, { recursive: true });
    return folder;
  }
}
