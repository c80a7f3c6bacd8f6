import { ApiError } from '../../../../electron/api/errors';
import { useAppStore, type ViewId } from '../../state/appStore';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';

export interface PcaJob {
  done: number;
  total: number;
  stop(): void;
}

/**
 * Makes a PCA model of the dataset sample as a job (progress in the status bar, cancellable), from the
 * Models view or from Explore's comparison. State lives in view state, so it survives switching views.
 */
export function useMakePca() {
  const client = useAppStore((s) => s.client);
  const libraryChanged = useAppStore((s) => s.libraryChanged);
  const [job, setJob] = useViewState<PcaJob | undefined>('models.pca.job', undefined);
  const [message, setMessage] = useViewState<{ text: string; error?: boolean } | undefined>('models.pca.message', undefined);

  async function make(components: number, view: ViewId): Promise<string | undefined> {
    if (!client || job) return undefined;
    setMessage(undefined);
    const controller = new AbortController();
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view, label: 'Computing PCA', done: 0, total: 4, stop: () => controller.abort() });
    setJob({ done: 0, total: 4, stop: () => controller.abort() });
    try {
      const r = await client.invoke('library.makePca', { latent: components }, {
        signal: controller.signal,
        onProgress: (p) => {
          jobs.update(jobId, p.done, p.total);
          setJob({ done: p.done, total: p.total, stop: () => controller.abort() });
        },
      });
      libraryChanged(r.library);
      setMessage({ text: `Added “PCA, ${components} components”: it explains ${(r.explained * 100).toFixed(1)}% of the pixel variance and reconstructs the dataset at ${r.psnr.toFixed(1)} dB.` });
      return r.model;
    } catch (e) {
      setMessage({ text: e instanceof ApiError && e.code === 'cancelled' ? 'Cancelled.' : (e as Error).message, error: true });
      return undefined;
    } finally {
      jobs.finish(jobId);
      setJob(undefined);
    }
  }

  return { make, job, message, ready: !!client };
}
