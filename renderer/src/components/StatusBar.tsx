import { providerInUse, useAppStore, VIEWS } from '../state/appStore';
import { useJobsStore } from '../state/jobsStore';
import { formatCount } from '../lib/formatCount';

export function StatusBar() {
  const info = useAppStore((s) => s.info);
  const models = useAppStore((s) => s.models);
  const client = useAppStore((s) => s.client);
  const provider = providerInUse({ info, models });
  const jobs = useJobsStore((s) => s.jobs);
  const setView = useAppStore((s) => s.setView);
  const unavailable = info?.providers.filter((p) => !p.available) ?? [];
  return (
    <footer className="flex h-7 items-center gap-4 border-t border-line bg-panel px-3 text-xs text-muted" aria-label="Status">
      <span data-testid="provider" title={unavailable.map((p) => p.reason).join('\n')}>
        Runtime: {provider ? `${provider.name.toUpperCase()}${provider.confirmed ? '' : ' (preferred)'}` : '…'}
      </span>
      <span>{models.length} models</span>
      {client && <span>{client.transport === 'ipc' ? 'Desktop' : 'Browser mode'}</span>}
      {jobs.map((job) => (
        <button
          key={job.id}
          type="button"
          data-testid="status-job"
          onClick={() => setView(job.view)}
          className="rounded px-1 text-ink hover:bg-panel-raised"
          title={`Running in ${VIEWS.find((v) => v.id === job.view)?.label}; click to go there`}
        >
          {job.label} {job.total > 0 ? `${formatCount(job.done)} / ${formatCount(job.total)}` : '…'}
        </button>
      ))}
      <span className="ml-auto">{info ? `Latent Studio ${info.version} · onnxruntime ${info.runtime.version}` : ''}</span>
    </footer>
  );
}
