import { useState } from 'react';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';

const PROVIDER_LABELS: Record<string, string> = { cuda: 'CUDA', dml: 'DirectML', cpu: 'CPU' };

/** Which providers exist here, which is in use, why the others are not, and a way to force one. */
export function RuntimePanel() {
  const info = useAppStore((s) => s.info);
  const client = useAppStore((s) => s.client);
  const refresh = useAppStore((s) => s.refreshInfo);
  const [error, setError] = useState<string>();
  if (!info || !client) return null;

  async function update(change: { provider?: 'cuda' | 'dml' | 'cpu' | null; threads?: number | null }) {
    setError(undefined);
    try {
      await client!.invoke('settings.update', change);
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const force = (provider: string) => update({ provider: provider === 'auto' ? null : (provider as 'cpu') });

  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Runtime">
      <div className="mb-2 flex items-center justify-between gap-4">
        <h3 className="text-sm font-medium">
          Runtime: {info.runtime.library} {info.runtime.version}
        </h3>
        <label
          className="ml-auto flex items-center gap-2 text-xs text-muted"
          title={`Threads per model session; empty for automatic (${info.runtime.automaticThreads ? `one per core, less one for the window: ${info.runtime.automaticThreads}` : "ONNX Runtime's default"})`}
        >
          Threads
          <input
            type="number"
            min={1}
            max={64}
            defaultValue={info.settings.threads ?? ''}
            placeholder={info.runtime.automaticThreads ? `auto (${info.runtime.automaticThreads})` : 'auto'}
            aria-label="Threads"
            onBlur={(e) => void update({ threads: e.target.value ? Math.min(64, Math.max(1, Math.round(Number(e.target.value)))) : null })}
            className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-ink"
          />
        </label>
        <label className="flex items-center gap-2 text-xs text-muted">
          Provider
          <select
            className="rounded border border-line bg-panel-raised px-2 py-1 text-ink"
            value={info.settings.provider ?? 'auto'}
            onChange={(e) => void force(e.target.value)}
            title="Automatic tries CUDA, then DirectML, then CPU"
          >
            <option value="auto">Automatic</option>
            {info.providers
              .filter((p) => p.available)
              .map((p) => (
                <option key={p.name} value={p.name}>
                  {PROVIDER_LABELS[p.name]}
                </option>
              ))}
          </select>
        </label>
      </div>
      <ul className="text-sm" data-testid="providers">
        {info.providers.map((p) => (
          <li key={p.name} className={p.available ? 'text-ink' : 'text-muted'}>
            <span className="inline-block w-12 font-mono uppercase">{p.name}</span>
            {p.available ? (p.name === info.preferredProvider ? 'available, in use' : 'available') : p.reason}
          </li>
        ))}
      </ul>
      <Message text={error} className="mt-2 text-sm" />
    </section>
  );
}
