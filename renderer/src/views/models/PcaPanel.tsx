import { useState } from 'react';
import { ApiError } from '../../../../electron/api/errors';
import { JobProgress } from '../../components/JobProgress';
import { Message } from '../../components/Message';
import { useAppStore } from '../../state/appStore';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';

/**
 * PCA of the dataset as a model: the linear baseline the autoencoder and the
 * VAE are measured against, with as many components as the user asks for.
 */
export function PcaPanel() {
  const client = useAppStore((s) => s.client);
  const libraryChanged = useAppStore((s) => s.libraryChanged);
  const [latent, setLatent] = useViewState('models.pca.latent', 16);
  const [job, setJob] = useViewState<{ done: number; total: number; stop(): void } | undefined>('models.pca.job', undefined);
  const [message, setMessage] = useViewState<{ text: string; error?: boolean } | undefined>('models.pca.message', undefined);
  const [input, setInput] = useState(String(latent));

  async function make() {
    if (!client) return;
    const k = Number(input);
    if (!Number.isInteger(k) || k < 2 || k > 64) return setMessage({ text: 'Choose 2 to 64 components.', error: true });
    setLatent(k);
    setMessage(undefined);
    const controller = new AbortController();
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'models', label: 'Computing PCA', done: 0, total: 4, stop: () => controller.abort() });
    setJob({ done: 0, total: 4, stop: () => controller.abort() });
    try {
      const r = await client.invoke('library.makePca', { latent: k }, {
        signal: controller.signal,
        onProgress: (p) => {
          jobs.update(jobId, p.done, p.total);
          setJob({ done: p.done, total: p.total, stop: () => controller.abort() });
        },
      });
      libraryChanged(r.library);
      setMessage({ text: `Added “PCA, ${k} components”: it explains ${(r.explained * 100).toFixed(1)}% of the pixel variance and reconstructs the dataset at ${r.psnr.toFixed(1)} dB.` });
    } catch (e) {
      setMessage({ text: e instanceof ApiError && e.code === 'cancelled' ? 'Cancelled.' : (e as Error).message, error: true });
    } finally {
      jobs.finish(jobId);
      setJob(undefined);
    }
  }

  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="PCA model">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <h3 className="font-medium">PCA as a model</h3>
        <span className="text-muted">the dataset's principal components as a linear encoder and decoder: the baseline for the autoencoder and the VAE</span>
        <label className="flex items-center gap-2 text-muted">
          Components
          <input type="number" min={2} max={64} value={input} onChange={(e) => setInput(e.target.value)} aria-label="Components" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-ink" />
        </label>
        <button type="button" onClick={() => void make()} disabled={!!job || !client} className="rounded bg-accent px-3 py-1 font-medium text-canvas disabled:opacity-40">
          Make PCA model
        </button>
        {job && <JobProgress label="Computing PCA" done={job.done} total={job.total} onCancel={job.stop} />}
      </div>
      <Message text={message?.error ? message.text : undefined} className="mt-2 text-sm" />
      {message && !message.error && (
        <p role="status" className="mt-2 text-sm text-muted" data-testid="pca-made">
          {message.text}
        </p>
      )}
    </section>
  );
}
