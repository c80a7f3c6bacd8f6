import { readFileSync } from 'node:fs';
import { homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../api/contract';
import { ApiError } from '../api/errors';
import type { EngineContext } from './context';
import type { Float32Tensor } from '../api/tensor';
import { readDatasetSample, type DatasetSample } from './dataset/sample';
import { DatasetCodes } from './datasetCodes';
import { DatasetLibrary } from './dataset/datasetLibrary';
import { BUNDLED_DATASET } from './dataset/dataset';
import type { Handlers } from './dispatch';
import { appHandlers } from './handlers/app';
import { datasetHandlers } from './handlers/dataset';
import { imageHandlers } from './handlers/images';
import { latentHandlers } from './handlers/latent';
import { directionHandlers } from './handlers/directions';
import { diffusionHandlers } from './handlers/diffusion';
import { libraryHandlers } from './handlers/library';
import { modelHandlers } from './handlers/models';
import { ModelHost } from './models/host';
import { ProjectStore } from './project/projectStore';
import { projectHandlers } from './handlers/project';
import type { AppPaths } from './paths';
import { LatestWins } from './runtime/coalesce';
import { defaultMemoryBudget, MemoryBudget } from './runtime/memoryBudget';
import { defaultSessionThreads } from './runtime/threads';
import { PreviewCache } from './ops/previewCache';
import { detectProviders, providerOrder, type ProviderName } from './runtime/providers';
import { SettingsStore } from './settings';

export interface EngineOptions {
  paths: AppPaths;
  /** Where settings (user model folders, provider, threads) are remembered. */
  configDir: string;
  /** Overrides the stored settings for this launch (command-line flags). */
  provider?: ProviderName;
  threads?: number;
  /** Overrides the memory budget for caches, in bytes, for this launch (tests and benchmarks). */
  memoryBudgetBytes?: number;
  pickFolder?: () => Promise<string | null>;
  pickProjectPath?: (mode: 'open' | 'save', suggestedName?: string) => Promise<string | null>;
  /** Where projects are suggested to go (the user's documents folder). */
  documentsDir?: string;
}

export interface Engine {
  handlers: Handlers;
  /** Coalescing statistics, for tests and benchmarks. */
  lanes: LatestWins;
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** A connection closed: what it held (its autosave session) is released. */
  disconnected(client: number): void;
  dispose(): Promise<void>;
}

/** Builds the engine that serves the contract: pure Node, no Electron. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const { paths } = options;
  const settings = new SettingsStore(options.configDir);
  if (settings.problem) console.warn(`Latent Studio: ${settings.problem}`);
  const providers = detectProviders();
  const order = () => providerOrder(providers, options.provider ?? settings.get().provider);
  const automaticThreads = defaultSessionThreads();
  const sessionOptions = () => ({ providers: order(), intraOpNumThreads: options.threads ?? settings.get().threads ?? automaticThreads });
  const unavailable = () => {
    const first = order()[0];
    return providers.filter((p) => !p.available && providers.indexOf(p) < providers.findIndex((q) => q.name === first)).map((p) => p.reason!);
  };
  const budgetBytes = () => options.memoryBudgetBytes ?? (settings.get().memoryBudgetMb ? settings.get().memoryBudgetMb! * 1024 * 1024 : defaultMemoryBudget(totalmem()));
  const memory = new MemoryBudget(budgetBytes());
  const host = new ModelHost(sessionOptions(), unavailable(), join(options.configDir, 'cache'), memory);
  await host.loadFolders([
    { path: paths.models, source: 'bundled' },
    ...settings.get().userModelFolders.map((path) => ({ path, source: 'user' as const })),
  ]);
  // The user's own graphs are checked against their manifests up front (bundled ones by the parity tests).
  await host.verifyUserModels();

  const encoding = new Map<string, Promise<Float32Tensor>>();
  // Each shipped sample is read when first listed or used, once (again after a failed read).
  const samples = paths.samples.map(({ id, binary, sidecar }) => {
    let read: Promise<DatasetSample> | undefined;
    const what = id === BUNDLED_DATASET ? 'the dataset sample' : `the dataset sample ${id}`;
    return {
      id,
      read: () =>
        (read ??= readDatasetSample(binary, sidecar).catch((error: Error) => {
          read = undefined;
          throw new ApiError('not-found', `${what} could not be read: ${error.message}`);
        })),
    };
  });
  const readSample = samples.find((s) => s.id === BUNDLED_DATASET)!.read;
  const version: string = JSON.parse(readFileSync(join(paths.root, 'package.json'), 'utf8')).version;
  const ctx: EngineContext = {
    paths,
    version,
    projects: new ProjectStore(options.configDir, settings, version, (id) => host.fingerprint(id)),
    documentsDir: options.documentsDir ?? homedir(),
    configDir: options.configDir,
    pickProjectPath: options.pickProjectPath,
    host,
    settings,
    providers,
    providerOrder: order,
    automaticThreads,
    applySettings: () => host.reconfigure(sessionOptions()),
    memory,
    applyMemoryBudget: () => memory.setBudget(budgetBytes()),
    lanes: new LatestWins(),
    dataset: readSample,
    // Folder datasets keep their index, thumbnails and codes in the app's own folder.
    datasets: new DatasetLibrary(samples, join(options.configDir, 'datasets'), settings),
    codes: new DatasetCodes(memory),
    previews: new PreviewCache(memory),
    ensureCodes: async (datasetId, model, job = { signal: new AbortController().signal, progress: () => {} }) => {
      const cached = ctx.codes.get(datasetId, model);
      if (cached) return cached;
      // Two windows asking for the same codes share one encoding (progress goes to the first).
      const key = `${datasetId}\u0000${model}`;
      let pending = encoding.get(key);
      if (!pending) {
        pending = (async () => {
          const dataset = await ctx.datasets.get(datasetId);
          const codes = await dataset.encode(host, model, job.batchSize ?? (dataset.source === 'bundled' ? 500 : 32), job);
          ctx.codes.set(datasetId, model, codes);
          return codes;
        })();
        encoding.set(key, pending);
        pending.finally(() => encoding.delete(key)).catch(() => {});
      }
      return pending;
    },
    pickFolder: options.pickFolder,
  };

  const handlers: Handlers = {
    ...appHandlers(ctx),
    ...libraryHandlers(ctx),
    ...modelHandlers(ctx),
    ...imageHandlers(ctx),
    ...latentHandlers(ctx),
    ...directionHandlers(ctx),
    ...diffusionHandlers(ctx),
    ...projectHandlers(ctx),
    ...datasetHandlers(ctx),
  };

  return {
    handlers,
    lanes: ctx.lanes,
    on(name, listener) {
      if (name !== 'models.changed') return () => {};
      return host.onChange(() => listener(host.list() as EventPayload<typeof name>));
    },
    disconnected: (client) => ctx.projects.sessions.release(client),
    dispose: () => {
      ctx.projects.sessions.dispose();
      return host.dispose();
    },
  };
}
