import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { ModelProblem, ModelSummary } from '../../api/contract';
import { ManifestSchema, type Manifest } from './manifest';

export interface RegisteredModel {
  manifest: Manifest;
  folder: string;
  source: 'bundled' | 'user';
}

export interface ModelLibrary {
  models: RegisteredModel[];
  problems: ModelProblem[];
}

/**
 * Reads every model folder under `root`. A bad manifest is reported with the
 * field at fault and the rest of the library still loads.
 */
export async function loadModelFolders(root: string, source: RegisteredModel['source']): Promise<ModelLibrary> {
  const library: ModelLibrary = { models: [], problems: [] };
  if (existsSync(join(root, 'manifest.json'))) {
    // A user may add one model's own folder as well as a folder of model folders.
    const result = await readManifest(root);
    if ('problem' in result) library.problems.push(result.problem);
    else library.models.push({ manifest: result.manifest, folder: root, source });
    return library;
  }
  let entries: string[];
  try {
    entries = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    library.problems.push({ folder: root, message: `cannot read the models folder: ${(error as Error).message}` });
    return library;
  }
  for (const name of await listedFirst(root, entries, library)) {
    const folder = join(root, name);
    if (!existsSync(join(folder, 'manifest.json'))) continue; // e.g. models/train
    const result = await readManifest(folder);
    if ('problem' in result) library.problems.push(result.problem);
    else if (library.models.some((m) => m.manifest.id === result.manifest.id)) {
      library.problems.push({ folder, field: 'id', message: `id "${result.manifest.id}" is already used by another model` });
    } else library.models.push({ manifest: result.manifest, folder, source });
  }
  return library;
}

/**
 * Folders a library names in its order.json (a JSON array of folder names) come first, in that order, then the rest
 * alphabetically: views start on the first model that fits, so the bundled library keeps its first demo first.
 */
async function listedFirst(root: string, entries: string[], library: ModelLibrary): Promise<string[]> {
  const path = join(root, 'order.json');
  if (!existsSync(path)) return entries;
  let order: unknown;
  try {
    order = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    order = undefined; // not JSON: reported below like any other shape that is not a list of names
  }
  if (!Array.isArray(order) || !order.every((n) => typeof n === 'string')) {
    library.problems.push({ folder: root, field: 'order.json', message: 'order.json must be a JSON array of model folder names; the folders are listed alphabetically' });
    return entries;
  }
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return [...entries].sort((a, b) => rank(a) - rank(b)); // stable: the rest stay alphabetical
}

export async function readManifest(folder: string): Promise<{ manifest: Manifest } | { problem: ModelProblem }> {
  const path = join(folder, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { problem: { folder, field: 'manifest.json', message: `manifest.json is not valid JSON: ${(error as Error).message}` } };
  }
  const merged = await withSchedulerConfig(folder, raw);
  if ('problem' in merged) return merged;
  const parsed = ManifestSchema.safeParse(merged.raw);
  if (!parsed.success) return { problem: manifestProblem(folder, parsed.error) };
  if (parsed.data.dataset && !statSync(join(folder, parsed.data.dataset), { throwIfNoEntry: false })?.isDirectory()) {
    return { problem: { folder, field: 'dataset', message: `dataset: the folder ${parsed.data.dataset} is not in the model folder` } };
  }
  for (const [role, graph] of Object.entries(parsed.data.graphs)) {
    const file = join(folder, graph.file);
    if (!existsSync(file)) return { problem: { folder, field: `graphs.${role}.file`, message: `graph file ${graph.file} is missing` } };
    if (statSync(file).size === 0) return { problem: { folder, field: `graphs.${role}.file`, message: `graph file ${graph.file} is empty (0 bytes): export the model again` } };
  }
  return { manifest: parsed.data };
}

/**
 * A diffusers `scheduler_config.json` beside a diffusion model's graphs says
 * how it was trained to be sampled: its schedule, prediction type, timestep
 * spacing and offset fill what the manifest leaves out, and a disagreement
 * with what the manifest states is a problem on the model's card.
 */
async function withSchedulerConfig(folder: string, raw: unknown): Promise<{ raw: unknown } | { problem: ModelProblem }> {
  const path = join(folder, 'scheduler_config.json');
  const manifest = raw as { kind?: unknown; diffusion?: Record<string, unknown> } | null;
  if (!manifest || manifest.kind !== 'diffusion' || typeof manifest.diffusion !== 'object' || !existsSync(path)) return { raw };
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { problem: { folder, field: 'scheduler_config.json', message: `scheduler_config.json is not valid JSON: ${(error as Error).message}` } };
  }
  const fromConfig: Record<string, unknown> = {};
  const timesteps = Number(config['num_train_timesteps'] ?? 1000);
  const betaSchedule = config['beta_schedule'] ?? 'linear';
  if (Array.isArray(config['trained_betas'])) fromConfig['schedule'] = { type: 'betas', betas: config['trained_betas'] };
  else if (betaSchedule === 'squaredcos_cap_v2') fromConfig['schedule'] = { type: 'cosine', timesteps };
  else if (betaSchedule === 'linear' || betaSchedule === 'scaled_linear') fromConfig['schedule'] = { type: betaSchedule, timesteps, betaStart: config['beta_start'] ?? 0.0001, betaEnd: config['beta_end'] ?? 0.02 };
  else return { problem: { folder, field: 'scheduler_config.json', message: `scheduler_config.json: beta_schedule "${String(betaSchedule)}" is not one Latent Studio knows (linear, scaled_linear, squaredcos_cap_v2, or trained_betas)` } };
  const prediction = { epsilon: 'epsilon', v_prediction: 'v', sample: 'sample' }[String(config['prediction_type'] ?? 'epsilon')];
  if (!prediction) return { problem: { folder, field: 'scheduler_config.json', message: `scheduler_config.json: prediction_type "${String(config['prediction_type'])}" is not epsilon, v_prediction or sample` } };
  fromConfig['prediction'] = prediction;
  // diffusers' DDPM, DDIM and PNDM schedulers space steps "leading" when their config names no spacing.
  fromConfig['spacing'] = config['timestep_spacing'] ?? 'leading';
  if (config['steps_offset'] !== undefined) fromConfig['offset'] = config['steps_offset'];
  const diffusion = { ...manifest.diffusion };
  for (const [key, value] of Object.entries(fromConfig)) {
    if (diffusion[key] === undefined) diffusion[key] = value;
    else if (canonical(diffusion[key]) !== canonical(value)) {
      return { problem: { folder, field: `diffusion.${key}`, message: `diffusion.${key}: the manifest says ${JSON.stringify(diffusion[key])} but scheduler_config.json says ${JSON.stringify(value)}; keep one` } };
    }
  }
  return { raw: { ...manifest, diffusion } };
}

/** JSON with object keys sorted, so two spellings of one value compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

function manifestProblem(folder: string, error: z.ZodError): ModelProblem {
  // Unknown keys, wherever they are, are all named in one message (a typo rarely comes alone); the field is the first.
  const unknown = error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path.map(String), k].join('.')) : []));
  if (unknown.length > 0) {
    return { folder, field: unknown[0], message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}: check the spelling against docs/MODELS.md` };
  }
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || undefined;
  return { folder, field, message: `${field ?? 'manifest'}: ${issue?.message ?? 'invalid'}` };
}

export interface SessionFacts {
  provider: string;
  loadMs: number;
  fallbacks: string[];
}

export function summarize(model: RegisteredModel, session?: SessionFacts, evicted = false): ModelSummary {
  const m = model.manifest;
  const params = m.training?.['params'] ?? m.metrics['params'];
  return {
    id: m.id,
    name: m.name,
    kind: m.kind,
    description: m.description,
    source: model.source,
    image: m.image,
    latent: m.latent ? { shape: m.latent.shape, prior: m.latent.prior } : undefined,
    graphs: m.graphs,
    labels: m.labels,
    dataset: m.dataset && join(model.folder, m.dataset),
    classifier: m.classifier,
    style: m.style && { numWs: m.style.numWs, wDim: m.style.wDim },
    diffusion: m.diffusion && {
      prediction: m.diffusion.prediction,
      schedule: m.diffusion.schedule.type,
      conditioning: m.diffusion.conditioning && { labels: m.diffusion.conditioning.labels, unconditional: m.diffusion.conditioning.nullLabel !== undefined, guidance: m.diffusion.conditioning.guidance },
    },
    metrics: m.metrics,
    method: typeof m.training?.['method'] === 'string' ? m.training['method'] : undefined,
    params: typeof params === 'number' && Number.isInteger(params) ? params : undefined,
    folder: model.folder,
    provider: session?.provider,
    loadMs: session?.loadMs,
    fallbacks: session?.fallbacks ?? [],
    ...(evicted && !session ? { evicted: true } : {}),
  };
}
