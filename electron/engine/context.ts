import type { Float32Tensor } from '../api/tensor';
import type { DatasetLibrary } from './dataset/datasetLibrary';
import type { DatasetSample } from './dataset/sample';
import type { DatasetCodes } from './datasetCodes';
import type { ModelHost } from './models/host';
import type { PreviewCache } from './ops/previewCache';
import type { ProjectStore } from './project/projectStore';
import type { AppPaths } from './paths';
import type { LatestWins } from './runtime/coalesce';
import type { MemoryBudget } from './runtime/memoryBudget';
import type { ProviderName, ProviderStatus } from './runtime/providers';
import type { SettingsStore } from './settings';

/** What every group of handlers shares. */
export interface EngineContext {
  paths: AppPaths;
  version: string;
  host: ModelHost;
  settings: SettingsStore;
  providers: ProviderStatus[];
  /** Providers to try, in order, under the current settings. */
  providerOrder(): ProviderName[];
  /** Threads a session uses while the threads setting is empty (runtime/threads.ts); undefined: ONNX Runtime's own default. */
  automaticThreads?: number;
  /** Re-creates every session under the current settings. */
  applySettings(): Promise<void>;
  /** Applies the memory budget of the current settings (evicting what no longer fits). */
  applyMemoryBudget(): void;
  /** The budget every cache of the engine (sessions, codes, projections) is kept within. */
  memory: MemoryBudget;
  lanes: LatestWins;
  /** The bundled dataset sample. */
  dataset(): Promise<DatasetSample>;
  /** The bundled sample and the user's folders of images. */
  datasets: DatasetLibrary;
  /** Codes and projections per dataset and model. */
  codes: DatasetCodes;
  /** Pictures decoded for display that windows ask for again (sample grids). */
  previews: PreviewCache;
  /** A dataset's codes under a model, encoding them first (as a job, when given one) if needed. */
  ensureCodes(dataset: string, model: string, job?: { signal: AbortSignal; progress(p: { done: number; total: number }): void; batchSize?: number }): Promise<Float32Tensor>;
  /** A native folder dialog, where the desktop shell provides one. */
  pickFolder?: () => Promise<string | null>;
  /** Native open/save dialogs for project files, where the desktop shell provides them. */
  pickProjectPath?: (mode: 'open' | 'save', suggestedName?: string) => Promise<string | null>;
  projects: ProjectStore;
  documentsDir: string;
  /** Where the app keeps its own files (settings, autosaves, caches, models it makes). */
  configDir: string;
}

export const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 100) / 100 };
};
