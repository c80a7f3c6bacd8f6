import { useState } from 'react';
import { JobProgress } from '../../components/JobProgress';
import { Message } from '../../components/Message';
import { useViewState } from '../../state/viewState';
import { useMakePca } from './useMakePca';

/**
 * PCA of the dataset as a model: the linear baseline the autoencoder and the
 * VAE are measured against, with as many components as the user asks for.
 */
export function PcaPanel() {
  const [latent, setLatent] = useViewState('models.pca.latent', 16);
  const { make: makePca, job, message, ready } = useMakePca();
  const [input, setInput] = useState(String(latent));
  const [invalid, setInvalid] = useState<string>();

  async function make() {
    const k = Number(input);
    if (!Number.isInteger(k) || k < 2 || k > 64) return setInvalid('Choose 2 to 64 components.');
    setInvalid(undefined);
    setLatent(k);
    await makePca(k, 'models');
  }

  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="PCA model">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <h3 className="font-medium">PCA as a model</h3>
        <span className="text-muted">the Fashion-MNIST sample's principal components as a linear encoder and decoder: the baseline for the autoencoder and the VAE</span>
        <label className="flex items-center gap-2 text-muted">
          Components
          <input type="number" min={2} max={64} value={input} onChange={(e) => setInput(e.target.value)} aria-label="Components" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-ink" />
        </label>
        <button type="button" onClick={() => void make()} disabled={!!job || !ready} className="rounded bg-accent px-3 py-1 font-medium text-canvas disabled:opacity-40">
          Make PCA model
        </button>
        {job && <JobProgress label="Computing PCA" done={job.done} total={job.total} onCancel={job.stop} />}
      </div>
      <Message text={invalid ?? (message?.error ? message.text : undefined)} className="mt-2 text-sm" />
      {message && !message.error && (
        <p role="status" className="mt-2 text-sm text-muted" data-testid="pca-made">
          {message.text}
        </p>
      )}
    </section>
  );
}
