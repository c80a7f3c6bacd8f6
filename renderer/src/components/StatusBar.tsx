import { providerInUse, useAppStore } from '../state/appStore';

export function StatusBar() {
  const info = useAppStore((s) => s.info);
  const models = useAppStore((s) => s.models);
  const client = useAppStore((s) => s.client);
  const provider = providerInUse({ info, models });
  const unavailable = info?.providers.filter((p) => !p.available) ?? [];
  return (
    <footer className="flex h-7 items-center gap-4 border-t border-line bg-panel px-3 text-xs text-muted" aria-label="Status">
      <span data-testid="provider" title={unavailable.map((p) => p.reason).join('\n')}>
        Runtime: {provider ? `${provider.name.toUpperCase()}${provider.confirmed ? '' : ' (preferred)'}` : '…'}
      </span>
      <span>{models.length} models</span>
      {client && <span>{client.transport === 'ipc' ? 'Desktop' : 'Browser mode'}</span>}
      <span className="ml-auto">{info ? `Latent Studio ${info.version} · onnxruntime ${info.runtime.version}` : ''}</span>
    </footer>
  );
}
