import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors';
import type { ModelLibrary, ModelProblem } from '../../api/contract';
import type { MemoryBudget } from '../runtime/memoryBudget';
import { runtimeSettled } from '../runtime/remoteSessions';
import { SessionCache, type LoadedGraph, type SessionCacheOptions, type SessionMode } from '../runtime/sessions';
import { modelFingerprint } from './fingerprint';
import type { GraphSpecT } from './manifest';
import { loadModelFolders, summarize, type RegisteredModel, type SessionFacts } from './registry';

/**
 * The model library at run time: the registered models and their sessions.
 * Graphs load lazily on first use (or all at once on model.load); listeners
 * hear when the library changes, e.g. when a session's provider becomes known.
 */
export class ModelHost {
  private models: RegisteredModel[] = [];
  private problems: ModelProblem[] = [];
  private folders: { path: string; source: RegisteredModel['source'] }[] = [];
  private sessions: SessionCache;
  private readonly sessionFacts = new Map<string, SessionFacts>();
  private readonly counted = new Set<string>();
  /** Models whose every session was evicted to fit the memory budget (not unloaded by the user). */
  private readonly evicted = new Set<string>();
  private readonly listeners = new Set<() => void>();

  /**
   * unavailable: why each faster provider cannot be used on this machine at all.
   * cacheDir: where graphs derived from a model go when its own folder cannot be written.
   * budget: the engine's memory budget, which sessions count against (none: kept until unloaded).
   */
  constructor(
    options: SessionCacheOptions,
    private readonly unavailable: string[] = [],
    readonly cacheDir: string = join(tmpdir(), 'latent-studio-cache'),
    private readonly budget?: MemoryBudget,
  ) {
    this.sessions = this.sessionCache(options);
  }

  private sessionCache(options: SessionCacheOptions): SessionCache {
    return new SessionCache(options, this.budget, (id, role) => this.forgetGraph(id, role));
  }

  /** A graph evicted to fit the memory budget: once none of its model's is loaded, the library says so. */
  private forgetGraph(id: string, role: string): void {
    this.counted.delete(`${id}/${role}`);
    if ([...this.counted].some((key) => key.startsWith(`${id}/`))) return;
    this.evicted.add(id);
    this.sessionFacts.delete(id);
    this.changed();
  }

  async loadFolders(folders: { path: string; source: RegisteredModel['source'] }[]): Promise<void> {
    this.folders = folders;
    const models: RegisteredModel[] = [];
    const problems: ModelProblem[] = [];
    for (const { path, source } of folders) {
      const library = await loadModelFolders(path, source);
      for (const model of library.models) {
        if (models.some((m) => m.manifest.id === model.manifest.id)) {
          problems.push({ folder: model.folder, field: 'id', message: `id "${model.manifest.id}" is already used by another model` });
        } else models.push(model);
      }
      problems.push(...library.problems);
    }
    // A model that leans on another (a latent diffusion on its VAE) is checked against it now, not when sampling fails.
    for (const model of [...models]) {
      const problem = crossReferenceProblem(model, models);
      if (problem) {
        models.splice(models.indexOf(model), 1);
        problems.push(problem);
      }
    }
    // Sessions of models that are gone or changed folder are released.
    for (const old of this.models) {
      if (!models.some((m) => m.manifest.id === old.manifest.id && m.folder === old.folder)) await this.unload(old.manifest.id);
    }
    this.models = models;
    this.problems = problems;
    this.changed();
  }

  /** New provider order or thread count: every session is released and reloads lazily. */
  async reconfigure(options: SessionCacheOptions): Promise<void> {
    const old = this.sessions;
    this.sessions = this.sessionCache(options);
    this.sessionFacts.clear();
    this.counted.clear();
    this.evicted.clear();
    await old.releaseAll();
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): ModelLibrary {
    return {
      models: this.models.map((m) => summarize(m, this.sessionFacts.get(m.manifest.id), this.evicted.has(m.manifest.id))),
      problems: this.problems,
      userFolders: this.folders.filter((f) => f.source === 'user').map((f) => f.path),
    };
  }

  model(id: string): RegisteredModel {
    const model = this.models.find((m) => m.manifest.id === id);
    if (!model) throw new ApiError('not-found', `no model "${id}" in the library`, 'args.model');
    return model;
  }

  /** The model's fingerprint for project files, or undefined when no such model is installed. */
  async fingerprint(id: string): Promise<string | undefined> {
    const model = this.models.find((m) => m.manifest.id === id);
    return model && modelFingerprint(model);
  }

  /** A graph of the model's, loaded once per mode (a batch job's steady session is one of its own; see SessionMode). */
  async graph(model: RegisteredModel, role: string, mode: SessionMode = 'interactive'): Promise<LoadedGraph> {
    const spec = model.manifest.graphs[role];
    if (!spec) throw new ApiError('bad-input', `model "${model.manifest.id}" has no ${role} graph`, 'args.model');
    return this.graphAt(model, role, model.folder, spec, mode);
  }

  /** Releases a batch job's session of one of the model's graphs once it has gone unused for `idleMs`. */
  releaseWhenIdle(model: RegisteredModel, role: string, mode: SessionMode, idleMs: number): void {
    this.sessions.releaseWhenIdle(model.manifest.id, role, mode, idleMs);
  }

  /** A graph of the model's that lives in another folder (one derived from its graphs and cached). */
  async graphAt(model: RegisteredModel, role: string, folder: string, spec: GraphSpecT, mode: SessionMode = 'interactive'): Promise<LoadedGraph> {
    const graph = await this.sessions.get(model.manifest.id, folder, role, spec, mode);
    const key = `${model.manifest.id}/${role}`;
    if (!this.counted.has(key)) {
      // The model's load time is the sum over its graphs; its provider is the first graph's.
      this.counted.add(key);
      this.evicted.delete(model.manifest.id);
      const facts = this.sessionFacts.get(model.manifest.id);
      this.sessionFacts.set(model.manifest.id, {
        provider: facts?.provider ?? graph.provider,
        loadMs: Math.round(((facts?.loadMs ?? 0) + graph.loadMs) * 10) / 10,
        fallbacks: facts?.fallbacks ?? [...this.unavailable, ...graph.fallbacks],
      });
      this.changed();
    }
    return graph;
  }

  /**
   * Loads every graph of the user's models and checks them against their manifests;
   * a model whose graphs do not match is moved to the problems with the field at fault.
   */
  async verifyUserModels(): Promise<void> {
    let changed = false;
    for (const model of this.models.filter((m) => m.source === 'user')) {
      try {
        await this.load(model.manifest.id);
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError('model-error', (error as Error).message);
        this.models = this.models.filter((m) => m !== model);
        this.problems = [...this.problems, { folder: model.folder, field: e.field, message: e.message }];
        await this.unload(model.manifest.id);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /**
   * Loads (and warms up) every graph of the model: those that make pictures first, since the views ask for pictures
   * first (the Models view's sample grid waited behind a 1024 px VAE's encoder warming up, a full encode, before its
   * decoder could load).
   */
  async load(id: string): Promise<void> {
    const model = this.model(id);
    for (const role of loadOrder(Object.keys(model.manifest.graphs))) await this.graph(model, role);
  }

  /** Releases a model's sessions and their memory; returns whether any were loaded. */
  async unload(id: string): Promise<boolean> {
    const released = await this.sessions.release(id);
    for (const key of [...this.counted]) if (key.startsWith(`${id}/`)) this.counted.delete(key);
    this.evicted.delete(id);
    if (this.sessionFacts.delete(id)) this.changed();
    return released;
  }

  /** Releases every session, after the runs in flight (exiting during a run aborts the process). */
  async dispose(): Promise<void> {
    await this.sessions.releaseAll();
    await runtimeSettled();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * A latent diffusion's decoder must be in the library, decode codes, and take the diffusion's latent
 * shape; a named classifier must be in the library, be a classifier, and read the model's images.
 */
function crossReferenceProblem(model: RegisteredModel, models: RegisteredModel[]): ModelProblem | undefined {
  const named = model.manifest.classifier;
  if (named) {
    const at = { folder: model.folder, field: 'classifier' };
    const classifier = models.find((m) => m.manifest.id === named);
    if (!classifier) return { ...at, message: `classifier: "${named}" is not in the library; add that model's folder too` };
    if (classifier.manifest.kind !== 'classifier') return { ...at, message: `classifier: "${named}" is a ${classifier.manifest.kind} model, not a classifier` };
    const [a, b] = [model.manifest.image, classifier.manifest.image];
    if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) return { ...at, message: `classifier: "${named}" reads ${b.width}×${b.height}×${b.channels} images; this model's are ${a.width}×${a.height}×${a.channels}` };
  }
  const diffusion = model.manifest.diffusion;
  if (diffusion?.space !== 'latent' || !diffusion.decoder) return undefined;
  const at = { folder: model.folder, field: 'diffusion.decoder' };
  const decoder = models.find((m) => m.manifest.id === diffusion.decoder);
  if (!decoder) return { ...at, message: `diffusion.decoder: this latent diffusion model decodes with "${diffusion.decoder}", which is not in the library; add that model's folder too` };
  if (!decoder.manifest.graphs.decoder && !decoder.manifest.graphs.generator) return { ...at, message: `diffusion.decoder: "${diffusion.decoder}" is a ${decoder.manifest.kind} model and cannot decode latent codes` };
  const ours = model.manifest.latent?.shape ?? [];
  const theirs = decoder.manifest.latent?.shape ?? [];
  if (ours.join() !== theirs.join()) return { ...at, message: `diffusion.decoder: this model's latents are [${ours.join(', ')}] but "${diffusion.decoder}" decodes [${theirs.join(', ')}]` };
  return undefined;
}

/** Graphs that read images (encoders, inversion graphs, classifiers) after those that make them, in manifest order otherwise. */
export function loadOrder(roles: string[]): string[] {
  const readsImages = (role: string) => /encoder|inversion|classifier/i.test(role);
  return [...roles.filter((r) => !readsImages(r)), ...roles.filter(readsImages)];
}
