import { useMemo } from 'react';
import type { ModelSummary } from '../../../../electron/api/contract';
import { decodesCodes, encodesImages } from '../../lib/modelKinds';
import { datasetsFor, useDatasetStore } from '../../state/datasetStore';
import { metricLines } from '../../lib/metricLabels';
import { useAppStore } from '../../state/appStore';
import { useDiffuseStore } from '../../state/diffuseStore';
import { Reconstructions } from './Reconstructions';
import { SampleGrid } from './SampleGrid';
import { formatCount } from '../../lib/formatCount';

export function ModelCard({ model }: { model: ModelSummary }) {
  const metrics = metricLines(model.metrics, model.params !== undefined);
  // Why a provider is missing on this machine is said once, in the runtime panel; a card names only its own failures.
  const providers = useAppStore((s) => s.info?.providers);
  const machineWide = (providers ?? []).flatMap((p) => (!p.available && p.reason ? [p.reason] : []));
  const ownFallbacks = model.fallbacks.filter((f) => !machineWide.some((reason) => f === reason || f.endsWith(`: ${reason}`)));
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
        <dd>
          {Object.entries(model.graphs)
            .map(([role, g]) => `${role} (${g.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(' ')} → ${g.outputs.map((o) => o.name).join(', ')})`)
            .join('; ')}
        </dd>
        {model.params !== undefined && (
          <>
            <dt className="text-muted">Parameters</dt>
            <dd>{formatCount(model.params)}</dd>
          </>
        )}
        <dt className="text-muted">Runs on</dt>
        <dd data-testid="runs-on" title={model.fallbacks.join('\n')}>
          {model.provider ? `${model.provider} · loaded and warmed up in ${model.loadMs} ms` : model.evicted ? 'released to save memory; loads again when used' : 'not loaded yet'}
          {model.provider && ownFallbacks.length > 0 && <span className="block text-muted">{ownFallbacks.join('; ')}</span>}
        </dd>
        {model.source === 'user' && (
          <>
            <dt className="text-muted">Folder</dt>
            <dd className="break-all">{model.folder}</dd>
          </>
        )}
        {metrics.map(({ key, label, value }) => (
          <div key={key} className="contents" data-metric={key}>
            <dt className="text-muted" title={`${key} in the manifest's metrics`}>
              {label}
            </dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {decodesCodes(model) && <ModelPreview model={model} />}
      {model.diffusion && <SampleInDiffuse model={model.id} />}
    </article>
  );
}

const PREVIEW_IMAGES = 8;

/**
 * Samples from the prior, or for a model whose codes have none (an autoencoder, a Stable-Diffusion-style VAE),
 * reconstructions of images spread over the first dataset that fits: random codes would only decode to noise.
 */
function ModelPreview({ model }: { model: ModelSummary }) {
  const datasets = useDatasetStore((s) => s.datasets);
  const listed = useDatasetStore((s) => s.listed);
  const reconstructs = model.latent?.prior === 'none' && encodesImages(model);
  const dataset = reconstructs ? datasetsFor(datasets, model)[0] : undefined;
  const count = dataset?.count ?? 0;
  const indices = useMemo(() => Array.from({ length: Math.min(PREVIEW_IMAGES, count) }, (_, i) => Math.floor((i * count) / PREVIEW_IMAGES)), [count]);
  // Until the datasets are listed, a model without a prior waits: decoding prior samples it then replaces with
  // reconstructions was a wasted grid (16 decodes, at 256 px a costly one) at every start.
  if (reconstructs && !listed) return <p className="text-xs text-muted">Finding a dataset to reconstruct…</p>;
  if (!dataset || indices.length === 0) return <SampleGrid model={model} />;
  return (
    <div>
      <p className="mb-1 text-xs text-muted">This latent has no prior to sample from, so these are images of {dataset.name} and their reconstructions.</p>
      <Reconstructions model={model} dataset={dataset.id} indices={indices} tile={Math.min(64, Math.max(model.image.height, model.image.width))} />
    </div>
  );
}

/** A denoiser's pictures come step by step: the card leads to Diffuse with this model chosen rather than sampling here. */
function SampleInDiffuse({ model }: { model: string }) {
  const setView = useAppStore((s) => s.setView);
  const chooseModel = useDiffuseStore((s) => s.chooseModel);
  return (
    <button
      type="button"
      onClick={() => {
        chooseModel(model);
        setView('diffuse');
      }}
      className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised"
    >
      Sample in Diffuse
    </button>
  );
}
