import { resolve } from 'node:path';
import { ApiError } from '../../api/errors';
import type { SettingsStore } from '../settings';
import { BUNDLED_DATASET, BundledDataset, type Dataset, type DatasetJob } from './dataset';
import { FolderDataset, folderDatasetId } from './folderDataset';
import type { DatasetSample } from './sample';

/** The bundled samples and the folders the user opened as datasets (remembered across launches). */
export class DatasetLibrary {
  private readonly folders = new Map<string, FolderDataset>();
  /** Folders being read now (their cache files are being written), with the read and its job. */
  private readonly reading = new Map<string, { done: Promise<unknown>; job: DatasetJob }>();
  private loaded?: Promise<void>;

  constructor(
    private readonly samples: { id: string; read: () => Promise<DatasetSample> }[],
    private readonly cacheRoot: string,
    private readonly settings: SettingsStore,
  ) {}

  /** Remembered folders come back from their cache, without reading the folders themselves. */
  private ready(): Promise<void> {
    return (this.loaded ??= (async () => {
      for (const folder of this.settings.get().datasetFolders) {
        const dataset = await FolderDataset.fromCache(folder, this.cacheRoot);
        if (dataset) this.folders.set(dataset.id, dataset);
      }
    })());
  }

  async get(id: string = BUNDLED_DATASET): Promise<Dataset> {
    // Samples are read once by their readers (and read again after a failure); the wrapper costs nothing.
    const sample = this.samples.find((s) => s.id === id);
    if (sample) return new BundledDataset(await sample.read(), id);
    await this.ready();
    const dataset = this.folders.get(id);
    if (!dataset) throw new ApiError('not-found', `no dataset "${id}": open its folder again`, 'args.dataset');
    return dataset;
  }

  async list(): Promise<Dataset[]> {
    await this.ready();
    const bundled = await Promise.all(this.samples.map((s) => this.get(s.id).catch(() => undefined)));
    return [...bundled.filter((d): d is Dataset => !!d), ...this.folders.values()];
  }

  /** Reads (or reads again) a folder as a dataset and remembers it; one read of a folder at a time (another window may be reading it). */
  async openFolder(path: string, job: DatasetJob): Promise<FolderDataset> {
    await this.ready();
    const id = folderDatasetId(resolve(path));
    const earlier = this.reading.get(id);
    // A read that was stopped is still saving what it did: the next one waits for it and goes on from there.
    if (earlier?.job.signal.aborted) await earlier.done.catch(() => {});
    if (this.reading.has(id)) throw new ApiError('bad-input', `${resolve(path)} is being read already (in this window or another): wait for it to finish`, 'args.path');
    const done = FolderDataset.open(path, this.cacheRoot, job);
    this.reading.set(id, { done, job });
    let dataset: FolderDataset;
    try {
      dataset = await done;
    } finally {
      this.reading.delete(id);
    }
    this.folders.set(dataset.id, dataset);
    const folders = this.settings.get().datasetFolders;
    if (!folders.includes(dataset.folder)) await this.settings.update({ datasetFolders: [...folders, dataset.folder] });
    return dataset;
  }

  /** Forgets a folder dataset (its cache stays, so opening it again is quick). */
  async remove(id: string): Promise<void> {
    await this.ready();
    const dataset = this.folders.get(id);
    if (!dataset) throw new ApiError('not-found', this.samples.some((s) => s.id === id) ? 'a bundled dataset cannot be removed' : `no dataset "${id}"`, 'args.dataset');
    this.folders.delete(id);
    await this.settings.update({ datasetFolders: this.settings.get().datasetFolders.filter((f) => folderDatasetId(resolve(f)) !== id) });
  }
}
