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
  for (const name of entries) {
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

export async function readManifest(folder: string): Promise<{ manifest: Manifest } | { problem: ModelProblem }> {
  const path = join(folder, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { problem: { folder, field: 'manifest.json', message: `manifest.json is not valid JSON: ${(error as Error).message}` } };
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) return { problem: manifestProblem(folder, parsed.error) };
  for (const [role, graph] of Object.entries(parsed.data.graphs)) {
    const file = join(folder, graph.file);
    if (!existsSync(file)) return { problem: { folder, field: `graphs.${role}.file`, message: `graph file ${graph.file} is missing` } };
    if (statSync(file).size === 0) return { problem: { folder, field: `graphs.${role}.file`, message: `graph file ${graph.file} is empty (0 bytes): export the model again` } };
  }
  return { manifest: parsed.data };
}

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

export function summarize(model: RegisteredModel, session?: SessionFacts): ModelSummary {
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
    diffusion: m.diffusion && {
      prediction: m.diffusion.prediction,
      schedule: m.diffusion.schedule.type,
      conditioning: m.diffusion.conditioning && { labels: m.diffusion.conditioning.labels, unconditional: m.diffusion.conditioning.nullLabel !== undefined, guidance: m.diffusion.conditioning.guidance },
    },
    metrics: m.metrics,
    params: typeof params === 'number' && Number.isInteger(params) ? params : undefined,
    folder: model.folder,
    provider: session?.provider,
    loadMs: session?.loadMs,
    fallbacks: session?.fallbacks ?? [],
  };
}
