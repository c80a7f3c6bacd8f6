import { create } from 'zustand';
import type { DatasetSummary, ModelSummary } from '../../../electron/api/contract';
import type { StudioClient } from '../../../electron/api/client';
import { ApiError } from '../../../electron/api/errors';
import { sameImages } from '../lib/modelKinds';
import { forgetDatasetImages } from '../lib/useDecoded';
import { useJobsStore } from './jobsStore';
import { useLatentStore } from './latentStore';
import { formatCount } from '../lib/formatCount';

export const BUNDLED_DATASET = 'bundled';
/** The Models view's folder path field, where "Open image folder as dataset…" lands in browser mode. */
export const DATASET_PATH_INPUT = 'dataset-folder-path';

interface OpeningJob {
  path: string;
  done: number;
  total: number;
  skipped: number;
  stop(): void;
}

interface DatasetState {
  datasets: DatasetSummary[];
  /** The engine's list has arrived at least once (until then `datasets` is empty for want of an answer, not of datasets). */
  listed: boolean;
  /** The dataset each view works on, by view id; a view without a choice takes the first that fits its model. */
  chosen: Record<string, string>;
  opening?: OpeningJob;
  /** The last folder's outcome, in words (opened, cancelled, or why not). */
  message?: { text: string; error?: boolean };
  refresh(client: StudioClient): Promise<void>;
  choose(view: string, dataset: string): void;
  /** Reads a folder as a dataset (a job in the status bar); again, to take in what changed or to resume. */
  open(client: StudioClient, path: string): Promise<DatasetSummary | undefined>;
  remove(client: StudioClient, dataset: string): Promise<void>;
}

export const useDatasetStore = create<DatasetState>((set, get) => ({
  datasets: [],
  listed: false,
  chosen: {},
  refresh: async (client) => set({ datasets: (await client.invoke('dataset.list', {})).datasets, listed: true }),
  choose: (view, dataset) => set((s) => ({ chosen: { ...s.chosen, [view]: dataset } })),
  open: async (client, path) => {
    if (get().opening) return;
    const controller = new AbortController();
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'models', label: 'Reading images', done: 0, total: 0, stop: () => controller.abort() });
    set({ opening: { path, done: 0, total: 0, skipped: 0, stop: () => controller.abort() }, message: undefined });
    try {
      const dataset = await client.invoke('dataset.openFolder', { path }, {
        signal: controller.signal,
        onProgress: (p) => {
          jobs.update(jobId, p.done, p.total);
          set((s) => ({ opening: s.opening && { ...s.opening, ...p } }));
        },
      });
      // Its images may have changed: what was shown and encoded of it is fetched again.
      forgetDatasetImages(dataset.id);
      useLatentStore.setState((s) => ({ encodings: Object.fromEntries(Object.entries(s.encodings).filter(([key]) => !key.startsWith(`${dataset.id}|`))) }));
      await get().refresh(client);
      const skipped = dataset.skippedCount ? `; ${dataset.skippedCount} file${dataset.skippedCount === 1 ? '' : 's'} could not be read` : '';
      set({ message: { text: `${dataset.name}: ${formatCount(dataset.count)} images, ${dataset.labels.length} label${dataset.labels.length === 1 ? '' : 's'}${skipped}.` } });
      return dataset;
    } catch (e) {
      const cancelled = e instanceof ApiError && e.code === 'cancelled';
      set({ message: { text: cancelled ? 'Stopped. Open the folder again to go on where it stopped: what was read is kept.' : (e as Error).message, error: !cancelled } });
    } finally {
      jobs.finish(jobId);
      set({ opening: undefined });
    }
  },
  remove: async (client, dataset) => {
    const { datasets } = await client.invoke('dataset.remove', { dataset });
    set((s) => ({ datasets, chosen: Object.fromEntries(Object.entries(s.chosen).filter(([, id]) => id !== dataset)) }));
  },
}));

/** Whether a model taking images of `image`'s size reads dataset `d`: a folder's images are fitted to any model, a bundled sample's must be its size. */
export const datasetFits = (d: DatasetSummary, image: Pick<ModelSummary['image'], 'channels' | 'height' | 'width'>) => d.source === 'folder' || sameImages(d, image);

/**
 * The datasets a model can work with: the bundled sample where its images are the model's size,
 * a folder of the user's images for any model that encodes (they are fitted as imported images are).
 */
export function datasetsFor(datasets: readonly DatasetSummary[], model: ModelSummary | undefined): DatasetSummary[] {
  if (!model) return [];
  const fitting = datasets.filter((d) => datasetFits(d, model.image));
  // The dataset a model ships with comes first, so views start on it.
  const ships = (d: DatasetSummary) => !!model.dataset && d.folder === model.dataset;
  return [...fitting.filter(ships), ...fitting.filter((d) => !ships(d))];
}

/** The dataset a view uses with a model: the view's choice where it fits, else the first that fits. */
export function useViewDataset(view: string, model: ModelSummary | undefined): { dataset?: DatasetSummary; options: DatasetSummary[] } {
  const datasets = useDatasetStore((s) => s.datasets);
  const chosen = useDatasetStore((s) => s.chosen[view]);
  const options = datasetsFor(datasets, model);
  return { dataset: options.find((d) => d.id === chosen) ?? options[0], options };
}
