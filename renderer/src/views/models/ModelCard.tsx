import type { ModelSummary } from '../../../../electron/api/contract';
import { decodesCodes } from '../../lib/modelKinds';
import { SampleGrid } from './SampleGrid';


function formatMetric(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en');
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3);
}

export function ModelCard({ model }: { model: ModelSummary }) {
  const metrics = Object.entries(model.metrics).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
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
            <dd>{model.params.toLocaleString('en')}</dd>
          </>
        )}
        <dt className="text-muted">Runs on</dt>
        <dd data-testid="runs-on" title={model.fallbacks.join('\n')}>
          {model.provider ? `${model.provider} · loaded and warmed up in ${model.loadMs} ms` : model.evicted ? 'released to save memory; loads again when used' : 'not loaded yet'}
          {model.provider && model.fallbacks.length > 0 && <span className="block text-muted">{model.fallbacks.join('; ')}</span>}
        </dd>
        {model.source === 'user' && (
          <>
            <dt className="text-muted">Folder</dt>
            <dd className="break-all">{model.folder}</dd>
          </>
        )}
        {metrics.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-muted">{name}</dt>
            <dd>{formatMetric(value)}</dd>
          </div>
        ))}
      </dl>
      {decodesCodes(model) && <SampleGrid model={model} />}
    </article>
  );
}
