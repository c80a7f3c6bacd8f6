import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../api/errors';
import { composeGraphs } from '../autodiff/compose';
import { buildGradientGraph, GradientError, type GradientGraph } from '../autodiff/differentiate';
import { decoderRole } from './latentCodec';
import { writeFileAtomic } from '../atomicWrite';
import { fileDigest } from '../models/fingerprint';
import type { ModelHost } from '../models/host';
import type { GraphSpecT } from '../models/manifest';
import type { RegisteredModel } from '../models/registry';
import type { LoadedGraph } from '../runtime/sessions';

/** Bumped whenever a gradient rule changes, so that graphs cached by an older version are rebuilt. */
const DIFFERENTIATOR_VERSION = 'autodiff-3';

/** A graph that returns the per-sample loss Σ (G(code) − target)² (+ a weighted feature term) and dloss/dcode. */
export interface InversionGraph {
  graph: LoadedGraph;
  code: string;
  target: string;
  loss: string;
  gradient: string;
  /** Where the gradient comes from: the model's own inversion graph, or its generator differentiated here. */
  source: 'inversion graph' | 'differentiated generator';
  /** With a perceptual term: the inputs for the target's features and the term's weight. */
  features?: { target: string; weight: string };
}

/** A graph that returns Σ logits·seed and its gradient with respect to the code: ∇ of any function of the class logits, given its gradient (the seed). */
export interface LogitGradientGraph {
  graph: LoadedGraph;
  code: string;
  seed: string;
  gradient: string;
}

/** The generator has an op without a gradient rule (or another reason it cannot be differentiated). */
export class NotDifferentiable extends ApiError {}

const building = new Map<string, Promise<GraphSpecT>>();
const cacheFolders = new Map<string, Promise<string>>();

/** The graph that turns a model's codes into images: the decoder, the GAN's generator, or (w, w+) its synthesis graph. */
function imageGraphOf(model: RegisteredModel, space: 'z' | 'w' | 'w+'): { role: string; spec: GraphSpecT } {
  const { graphs, id } = model.manifest;
  const role = space !== 'z' ? 'synthesis' : decoderRole(model);
  const spec = graphs[role];
  if (!spec) throw new ApiError('bad-input', `model "${id}" has no ${role} graph to differentiate`, 'args.model');
  if (spec.inputs.length !== 1) {
    throw new ApiError('bad-input', `model "${id}": its ${role} takes ${spec.inputs.length} inputs; gradients are taken through graphs with one input (the code)`, 'args.model');
  }
  return { role, spec };
}

/** y·scale + shift maps the generator's value range onto the classifier's. */
function rangeMap(from: [number, number], to: [number, number]): { scale: number; shift: number } {
  const scale = (to[1] - to[0]) / (from[1] - from[0]);
  return { scale, shift: to[0] - from[0] * scale };
}

/** The classifier's graph and its features output, checked against the model's images. */
function classifierGraphOf(model: RegisteredModel, classifier: RegisteredModel, output: 'features' | 'logits'): { spec: GraphSpecT; output: string } {
  const spec = classifier.manifest.graphs['classifier'];
  if (classifier.manifest.kind !== 'classifier' || !spec) throw new ApiError('bad-input', `model "${classifier.manifest.id}" is not a classifier`, 'args.classifier');
  const a = model.manifest.image;
  const b = classifier.manifest.image;
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    throw new ApiError('bad-input', `the classifier "${classifier.manifest.id}" takes ${b.width}×${b.height}×${b.channels} images; "${model.manifest.id}" makes ${a.width}×${a.height}×${a.channels}`, 'args.classifier');
  }
  const found = spec.outputs.find((o) => o.name === output) ?? (output === 'logits' ? spec.outputs[0] : undefined);
  if (!found) throw new ApiError('bad-input', `the classifier "${classifier.manifest.id}" has no "${output}" output to compare images by`, 'args.classifier');
  return { spec, output: found.name };
}

/**
 * The model's hand-written inversion graph where its manifest has one (and no perceptual term is
 * asked for); otherwise its generator differentiated into one, with the classifier's features of
 * the image as a second, weighted term when `perceptual` names a classifier. Cached beside the
 * model, keyed by the graphs' bytes, so that each is built once. A generator that cannot be
 * differentiated raises an error naming the operator.
 */
export async function inversionGraph(host: ModelHost, model: RegisteredModel, space: 'z' | 'w' | 'w+' = 'z', perceptual?: RegisteredModel): Promise<InversionGraph> {
  const { graphs, id } = model.manifest;
  if (graphs['inversion'] && space === 'z' && !perceptual) {
    const graph = await host.graph(model, 'inversion');
    const [code, target] = graph.spec.inputs.map((i) => i.name) as [string, string];
    const [loss, gradient] = graph.spec.outputs.map((o) => o.name) as [string, string];
    return { graph, code, target, loss, gradient, source: 'inversion graph' };
  }
  // z codes go through the whole generator; w and w+ codes through the synthesis graph alone.
  const { role, spec: generator } = imageGraphOf(model, space);
  const codeSpec = generator.inputs[0]!;
  const image = generator.outputs[0]!;
  const features = perceptual ? classifierGraphOf(model, perceptual, 'features') : undefined;
  const featureSpec = features && features.spec.outputs.find((o) => o.name === features.output)!;
  const stored = await cachedGraph(host, model, {
    role: perceptual ? `inversion-${role}-perceptual-${perceptual.manifest.id}` : role === 'generator' ? 'inversion' : `inversion-${role}`,
    file: `inversion-${role === 'generator' ? '' : `${role}-`}${perceptual ? 'perceptual-' : ''}`,
    sources: [join(model.folder, generator.file), ...(perceptual ? [join(perceptual.folder, features!.spec.file)] : [])],
    spec: {
      file: '',
      inputs: [codeSpec, { ...image, name: 'target' }, ...(featureSpec ? [{ ...featureSpec, name: 'features' }, { name: 'weight', shape: [1], dtype: 'float32' as const }] : [])],
      outputs: [
        { name: 'loss', shape: [image.shape[0]!], dtype: 'float32' },
        { name: 'grad', shape: codeSpec.shape, dtype: 'float32' },
      ],
    },
    what: `model "${id}" cannot be inverted by gradients`,
    field: `graphs.${role}`,
    build: async () => {
      const bytes = await readGraph(model, role);
      if (!perceptual) return buildGradientGraph(bytes, { wrt: codeSpec.name, output: image.name });
      const composed = composeGraphs(bytes, await readGraph(perceptual, 'classifier'), { from: image.name, to: features!.spec.inputs[0]!.name, ...rangeMap(model.manifest.image.range, perceptual.manifest.image.range) });
      return buildGradientGraph(composed.bytes, { wrt: codeSpec.name, terms: [{ output: image.name, kind: 'squared' }, { output: composed.outputs[features!.output]!, kind: 'squared', weighted: true }] });
    },
  });
  const [code, target, featureTarget, weight] = stored.spec.inputs.map((i) => i.name) as [string, string, string?, string?];
  const [loss, gradient] = stored.spec.outputs.map((o) => o.name) as [string, string];
  return { graph: stored.graph, code, target, loss, gradient, source: 'differentiated generator', ...(featureTarget && weight ? { features: { target: featureTarget, weight } } : {}) };
}

/**
 * The decoder (or generator) followed by the classifier, differentiated with respect to the
 * code for a seed on the logits: fed ∂f/∂logits, it returns ∇_code f for any f of the logits,
 * such as a class's log-probability.
 */
export async function logitGradientGraph(host: ModelHost, model: RegisteredModel, classifier: RegisteredModel, space: 'z' | 'w+' = 'z'): Promise<LogitGradientGraph> {
  // z codes through the decoder or generator; w and w+ through the synthesis graph (which takes w+).
  const { role, spec: decoder } = imageGraphOf(model, space);
  const { spec: classifierSpec, output: logits } = classifierGraphOf(model, classifier, 'logits');
  const logitSpec = classifierSpec.outputs.find((o) => o.name === logits)!;
  const stored = await cachedGraph(host, model, {
    role: `logit-gradient-${role}-${classifier.manifest.id}`,
    file: `logit-gradient-${role}-${classifier.manifest.id}-`,
    sources: [join(model.folder, decoder.file), join(classifier.folder, classifierSpec.file)],
    spec: {
      file: '',
      inputs: [decoder.inputs[0]!, { ...logitSpec, name: 'seed' }],
      outputs: [
        { name: 'score', shape: [decoder.outputs[0]!.shape[0]!], dtype: 'float32' },
        { name: 'grad', shape: decoder.inputs[0]!.shape, dtype: 'float32' },
      ],
    },
    what: `model "${model.manifest.id}" cannot be differentiated through the classifier "${classifier.manifest.id}"`,
    field: 'args.classifier',
    build: async () => {
      const image = decoder.outputs[0]!.name;
      const composed = composeGraphs(await readGraph(model, role), await readGraph(classifier, 'classifier'), { from: image, to: classifierSpec.inputs[0]!.name, ...rangeMap(model.manifest.image.range, classifier.manifest.image.range) });
      return buildGradientGraph(composed.bytes, { wrt: decoder.inputs[0]!.name, terms: [{ output: composed.outputs[logits]!, kind: 'dot' }] });
    },
  });
  const [code, seed] = stored.spec.inputs.map((i) => i.name) as [string, string];
  return { graph: stored.graph, code, seed, gradient: stored.spec.outputs[1]!.name };
}

async function readGraph(model: RegisteredModel, role: string): Promise<Uint8Array> {
  const spec = model.manifest.graphs[role]!;
  const bytes = await readFile(join(model.folder, spec.file));
  if (bytes.length === 0) throw new ApiError('model-error', `model "${model.manifest.id}": ${spec.file} is empty (0 bytes)`, `graphs.${role}.file`);
  return bytes;
}

interface DerivedGraphPlan {
  /** The session's role (unique per model) and the file name's stem. */
  role: string;
  file: string;
  /** The files the graph is derived from: their bytes key the cache. */
  sources: string[];
  /** Inputs and outputs in a fixed order; their names are replaced by the built graph's. */
  spec: GraphSpecT;
  /** How a failure to differentiate is reported: "<what>: <reason>", at `field`. */
  what: string;
  field: string;
  build(): Promise<GradientGraph>;
}

/** A derived graph, built and written once (graph first, then its sidecar spec) and loaded from the cache after. */
async function cachedGraph(host: ModelHost, model: RegisteredModel, plan: DerivedGraphPlan): Promise<{ graph: LoadedGraph; spec: GraphSpecT }> {
  const hash = createHash('sha256').update(DIFFERENTIATOR_VERSION);
  // fileDigest caches by path, size and modification time: each source is hashed once per change.
  for (const source of plan.sources) hash.update(await fileDigest(source));
  const file = `${plan.file}${hash.digest('hex').slice(0, 16)}.onnx`;
  let folder = cacheFolders.get(model.folder);
  if (!folder) cacheFolders.set(model.folder, (folder = cacheFolder(model.folder, host.cacheDir)));
  const path = join(await folder, file);
  const sidecar = `${path}.json`;
  let stored = await readFile(sidecar, 'utf8').then((text) => JSON.parse(text) as GraphSpecT, () => undefined);
  if (!stored) {
    let pending = building.get(path);
    if (!pending) {
      pending = buildAndStore(plan, path, sidecar, { ...plan.spec, file });
      building.set(path, pending);
      pending.finally(() => building.delete(path)).catch(() => {});
    }
    stored = await pending;
  }
  return { graph: await host.graphAt(model, plan.role, await folder, stored), spec: stored };
}

async function buildAndStore(plan: DerivedGraphPlan, path: string, sidecar: string, spec: GraphSpecT): Promise<GraphSpecT> {
  let built: GradientGraph;
  try {
    built = await plan.build();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const reason = error instanceof GradientError ? error.message : `a graph could not be read (${(error as Error).message.split('\n')[0]})`;
    throw new NotDifferentiable('model-error', `${plan.what}: ${reason}`, plan.field);
  }
  const inputNames = [built.code, ...built.targets.flatMap((target, i) => [target, built.weights[i]].filter((n): n is string => !!n))];
  const named: GraphSpecT = {
    ...spec,
    inputs: spec.inputs.map((input, i) => ({ ...input, name: inputNames[i]! })),
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
