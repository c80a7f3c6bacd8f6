import { ApiError } from '../../api/errors';
import type { ModelProblem, ModelSummary } from '../../api/contract';
import { SessionCache, type LoadedGraph } from '../runtime/sessions';
import { loadModelFolders, summarize, type RegisteredModel } from './registry';

/**
 * The model library at run time: the registered models and their sessions.
 * Graphs load lazily on first use; listeners hear when one does, since that is
 * when its provider becomes known.
 */
export class ModelHost {
  private models: RegisteredModel[] = [];
  private problems: ModelProblem[] = [];
  private readonly sessionInfo = new Map<string, { provider: string; loadMs: number }>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly sessions: SessionCache) {}

  async loadFolders(folders: { path: string; source: RegisteredModel['source'] }[]): Promise<void> {
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
    this.models = models;
    this.problems = problems;
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): { models: ModelSummary[]; problems: ModelProblem[] } {
    return { models: this.models.map((m) => summarize(m, this.sessionInfo.get(m.manifest.id))), problems: this.problems };
  }

  model(id: string): RegisteredModel {
    const model = this.models.find((m) => m.manifest.id === id);
    if (!model) throw new ApiError('not-found', `no model "${id}" in the library`, 'args.model');
    return model;
  }

  async graph(model: RegisteredModel, role: string): Promise<LoadedGraph> {
    const spec = model.manifest.graphs[role];
    if (!spec) throw new ApiError('bad-input', `model "${model.manifest.id}" has no ${role} graph`, 'args.model');
    const graph = await this.sessions.get(model.manifest.id, model.folder, role, spec);
    if (!this.sessionInfo.has(model.manifest.id)) {
      this.sessionInfo.set(model.manifest.id, { provider: graph.provider, loadMs: Math.round(graph.loadMs * 10) / 10 });
      this.changed();
    }
    return graph;
  }

  async dispose(): Promise<void> {
    await this.sessions.releaseAll();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
