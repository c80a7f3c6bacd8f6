import { useState } from 'react';
import type { ModelSummary } from '../../../electron/api/contract';
import type { Float32Tensor } from '../../../electron/api/tensor';
import { ImageTile } from '../components/ImageTile';
import { EmptyState } from '../components/EmptyState';
import { randomNormal } from '../../../electron/common/random';
import { useAppStore } from '../state/appStore';

const SAMPLE_COUNT = 8;
const canDecode = (m: ModelSummary) => (m.kind === 'vae' || m.kind === 'autoencoder' || m.kind === 'gan') && !!m.latent;

function formatMetric(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function ModelCard({ model }: { model: ModelSummary }) {
  const client = useAppStore((s) => s.client);
  const [samples, setSamples] = useState<{ images: Float32Tensor; ms: number }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [seed, setSeed] = useState(1);

  async function sample() {
    if (!client || !model.latent) return;
    setBusy(true);
    setError(undefined);
    try {
      const size = model.latent.shape.reduce((a, b) => a * b, 1);
      const z = { dtype: 'float32' as const, shape: [SAMPLE_COUNT, ...model.latent.shape], data: randomNormal(SAMPLE_COUNT * size, seed) };
      setSamples(await client.invoke('model.decode', { model: model.id, z }));
      setSeed((s) => s + 1);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const metrics = Object.entries(model.metrics).filter(([, v]) => typeof v === 'number');
  return (
    <article className="rounded-lg border border-line bg-panel p-4" data-testid={`model-${model.id}`}>
      <header className="mb-2 flex items-baseline justify-between gap-4">
        <h3 className="text-base font-medium">{model.name}</h3>
        <span className="rounded bg-panel-raised px-2 py-0.5 text-xs uppercase tracking-wide text-muted">{model.kind}</span>
      </header>
      <p className="mb-3 text-sm text-muted">{model.description}</p>
      <dl className="mb-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs">
        <dt className="text-muted">Image</dt>
        <dd>
          {model.image.width}×{model.image.height}×{model.image.channels}, values in [{model.image.range.join(', ')}]
        </dd>
        {model.latent && (
          <>
            <dt className="text-muted">Latent</dt>
            <dd>[{model.latent.shape.join(', ')}]</dd>
          </>
        )}
        <dt className="text-muted">Graphs</dt>
        <dd>{Object.keys(model.graphs).join(', ')}</dd>
        <dt className="text-muted">Runs on</dt>
        <dd>{model.provider ? `${model.provider} (loaded in ${model.loadMs} ms)` : 'not loaded yet'}</dd>
        {metrics.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-muted">{name}</dt>
            <dd>{formatMetric(value)}</dd>
          </div>
        ))}
      </dl>
      {canDecode(model) && (
        <div>
          <button
            type="button"
            onClick={sample}
            disabled={busy}
            title="Decode 8 random codes drawn from N(0, I)"
            className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas hover:brightness-110 disabled:opacity-50"
          >
            {busy ? 'Decoding…' : 'Sample'}
          </button>
          {error && (
            <p role="alert" className="mt-2 text-sm text-danger">
              {error}
            </p>
          )}
          {samples && (
            <div className="mt-3">
              <div className="flex flex-wrap gap-2" data-testid="samples">
                {Array.from({ length: samples.images.shape[0]! }, (_, i) => (
                  <ImageTile key={i} data={samples.images.data} shape={samples.images.shape} index={i} zoom={2} />
                ))}
              </div>
              <p className="mt-1 text-xs text-muted">
                {samples.images.shape[0]} images decoded in {samples.ms.toFixed(1)} ms
              </p>
            </div>
          )}
        </div>
      )}
    </article>
  );
}

function RuntimePanel() {
  const info = useAppStore((s) => s.info);
  if (!info) return null;
  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Runtime">
      <h3 className="mb-2 text-sm font-medium">
        Runtime: {info.runtime.library} {info.runtime.version}
      </h3>
      <ul className="text-sm" data-testid="providers">
        {info.providers.map((p) => (
          <li key={p.name} className={p.available ? 'text-ink' : 'text-muted'}>
            <span className="inline-block w-12 font-mono uppercase">{p.name}</span>
            {p.available ? (p.name === info.preferredProvider ? 'available, in use' : 'available') : p.reason}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ModelsView() {
  const models = useAppStore((s) => s.models);
  const problems = useAppStore((s) => s.problems);
  if (models.length === 0 && problems.length === 0) {
    return (
      <EmptyState title="No models yet">
        The bundled models live in the app's models/ folder; each is a folder with a manifest.json and its ONNX graphs.
      </EmptyState>
    );
  }
  return (
    <div className="h-full overflow-auto p-6">
      <h2 className="mb-4 text-lg font-medium">Model library</h2>
      <RuntimePanel />
      {problems.length > 0 && (
        <section className="mb-4 rounded-lg border border-danger/40 bg-panel p-4" aria-label="Models that could not be loaded">
          <h3 className="mb-2 text-sm font-medium text-danger">Models that could not be loaded</h3>
          <ul className="text-sm text-muted">
            {problems.map((p) => (
              <li key={`${p.folder}:${p.field}`}>
                <code>{p.folder}</code>: {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <div className="grid grid-cols-[repeat(auto-fill,minmax(22rem,1fr))] gap-4">
        {models.map((m) => (
          <ModelCard key={m.id} model={m} />
        ))}
      </div>
    </div>
  );
}
