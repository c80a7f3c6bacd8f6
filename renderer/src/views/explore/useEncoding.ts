import { useEffect } from 'react';
import { create } from 'zustand';
import type { StudioClient } from '../../../../electron/api/client';
import { ApiError } from '../../../../electron/api/errors';
import { useAppStore } from '../../state/appStore';
import { useJobsStore } from '../../state/jobsStore';
import { encodingKey, useLatentStore } from '../../state/latentStore';

export interface EncodingJob {
  progress?: { done: number; total: number };
  /** The codes are in; their principal components are being computed. */
  projecting?: boolean;
  error?: string;
  cancel?: () => void;
  restart(): void;
}

/** Each dataset and model's encoding job (by encodingKey), outside any component: it runs on while the user looks at another view. */
export const useEncodingJobs = create<Record<string, Omit<EncodingJob, 'restart'>>>(() => ({}));
const setJob = (key: string, job: Omit<EncodingJob, 'restart'>) => useEncodingJobs.setState({ [key]: job });

/** Encodes a dataset with a model, then fetches the codes' PCA: a job in the status bar, its stage and progress in useEncodingJobs. */
export async function encodeDataset(client: StudioClient, dataset: string, model: string): Promise<void> {
  const key = encodingKey(dataset, model);
  const controller = new AbortController();
  const jobs = useJobsStore.getState();
  const jobId = jobs.start({ view: 'explore', label: 'Encoding the dataset', done: 0, total: 0, stop: () => controller.abort() });
  setJob(key, { progress: { done: 0, total: 1 }, cancel: () => controller.abort() });
  try {
    const encoded = await client.invoke('dataset.encode', { model, dataset }, {
      signal: controller.signal,
      onProgress: (progress) => {
        jobs.update(jobId, progress.done, progress.total);
        setJob(key, { progress, cancel: () => controller.abort() });
      },
    });
    // The codes are in; the PCA follows (seconds for large codes, or behind another job's runs): said, not left at n / n.
    jobs.relabel(jobId, 'Computing the principal components');
    setJob(key, { progress: { done: encoded.labels.length, total: encoded.labels.length }, projecting: true, cancel: () => controller.abort() });
    const projection = await client.invoke('dataset.project', { model, dataset }, { signal: controller.signal });
    useLatentStore.getState().setEncoding(key, {
      dim: projection.dim,
      rank: projection.rank,
      codes: encoded.codes.data,
      labels: encoded.labels,
      mean: projection.mean.data,
      components: projection.components.data,
      explained: projection.explained,
      coords: projection.coords.data,
    });
    setJob(key, {});
  } catch (e) {
    setJob(key, { error: e instanceof ApiError && e.code === 'cancelled' ? 'Encoding was cancelled.' : (e as Error).message });
  } finally {
    useJobsStore.getState().finish(jobId);
  }
}

/** Encodes a dataset with a model (a cancellable job with progress), then fetches its PCA; cached per dataset and model. */
export function useEncoding(model: string | undefined, dataset: string | undefined): EncodingJob {
  const client = useAppStore((s) => s.client);
  const key = model && dataset ? encodingKey(dataset, model) : undefined;
  const encoding = useLatentStore((s) => (key ? s.encodings[key] : undefined));
  const state = useEncodingJobs((s) => (key ? s[key] : undefined));
  const idle = !state || (!state.progress && !state.error);

  useEffect(() => {
    if (client && model && dataset && !encoding && idle) void encodeDataset(client, dataset, model);
  }, [client, model, dataset, encoding, idle]);

  return { ...state, restart: () => key && setJob(key, {}) };
}
