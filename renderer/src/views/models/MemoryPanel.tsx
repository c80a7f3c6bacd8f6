import { useCallback, useEffect, useState } from 'react';
import type { MemoryReport } from '../../../../electron/api/contract';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';
import { formatBytes } from '../../lib/formatBytes';

/** Budgets offered besides automatic, in MiB. */
const BUDGETS_MB = [256, 512, 1024, 2048, 4096, 8192, 16384];
/** The report is cheap (a sum over the engine's cache entries): read it while the panel is on screen. */
const REFRESH_MS = 2000;

/**
 * A line for when the budget is too small for the models in use: an entry over half the budget (a large model's session
 * with its working memory) leaves no room for a second one, so graphs used in turn evict each other and reload each time.
 */
export function crowdedBudgetNote(report: Pick<MemoryReport, 'budgetBytes' | 'largest' | 'evictions'>): string | undefined {
  const largest = report.largest[0];
  if (!largest || report.evictions === 0 || largest.bytes <= report.budgetBytes / 2) return undefined;
  return `${largest.label} holds ${formatBytes(largest.bytes)} with its working memory, over half the budget: graphs used in turn (this model's encoder and decoder) evict each other and load again each time, seconds for a large model. A larger budget keeps them loaded.`;
}

/** What the engine keeps in memory against its budget, the process's own figures, and ways to change both. */
export function MemoryPanel() {
  const info = useAppStore((s) => s.info);
  const client = useAppStore((s) => s.client);
  const refreshInfo = useAppStore((s) => s.refreshInfo);
  const [report, setReport] = useState<MemoryReport>();
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<string>();

  const read = useCallback(async () => {
    if (!client) return;
    try {
      setReport(await client.invoke('app.memory', {}));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [client]);
  useEffect(() => {
    void read();
    const timer = setInterval(() => document.visibilityState === 'visible' && void read(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [read]);
  if (!info || !client) return null;

  async function setBudget(value: string) {
    setError(undefined);
    setNote(undefined);
    try {
      await client!.invoke('settings.update', { memoryBudgetMb: value === 'auto' ? null : Number(value) });
      await refreshInfo();
      await read();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  async function free() {
    setError(undefined);
    try {
      const after = await client!.invoke('app.freeMemory', {});
      setReport(after);
      setNote(`Released ${formatBytes(after.freedBytes ?? 0)}; what is needed again loads or is recomputed on its next use.`);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const used = report?.usedBytes ?? 0;
  const budget = report?.budgetBytes ?? 1;
  const chosen = info.settings.memoryBudgetMb;
  const crowded = report && crowdedBudgetNote(report);
  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Memory">
      <div className="mb-2 flex flex-wrap items-center gap-4">
        <h3 className="text-sm font-medium">Memory</h3>
        <p className="text-sm" data-testid="memory-used">
          {report ? `${formatBytes(used)} cached of a ${formatBytes(budget)} budget` : 'reading…'}
        </p>
        <label className="ml-auto flex items-center gap-2 text-xs text-muted" title="What the engine may keep between calls (model sessions, dataset codes, projections); the least recently used goes first">
          Budget
          <select className="rounded border border-line bg-panel-raised px-2 py-1 text-ink" value={chosen ?? 'auto'} onChange={(e) => void setBudget(e.target.value)} aria-label="Memory budget">
            <option value="auto">Automatic{!chosen && report ? ` (${formatBytes(report.budgetBytes)})` : ''}</option>
            {[...new Set([...BUDGETS_MB, ...(chosen ? [chosen] : [])])]
              .sort((a, b) => a - b)
              .map((mb) => (
                <option key={mb} value={mb}>
                  {formatBytes(mb * 1024 * 1024)}
                </option>
              ))}
          </select>
        </label>
        <button type="button" onClick={() => void free()} className="rounded border border-line px-3 py-1 text-xs hover:bg-panel-raised" title="Release every cached session and code not in use now">
          Free caches
        </button>
      </div>
      <div
        role="meter"
        aria-label="Cached, of the memory budget"
        aria-valuemin={0}
        aria-valuemax={budget}
        aria-valuenow={Math.min(used, budget)}
        aria-valuetext={`${formatBytes(used)} of ${formatBytes(budget)}`}
        className="mb-2 h-1.5 overflow-hidden rounded bg-panel-raised"
      >
        <div className="h-full bg-accent" style={{ width: `${Math.min(100, (100 * used) / budget)}%` }} />
      </div>
      {report && (
        <>
          <ul className="grid grid-cols-[repeat(auto-fill,minmax(14rem,1fr))] gap-x-4 text-xs text-muted" data-testid="memory-kinds">
            {report.kinds.map((k) => (
              <li key={k.kind}>
                {k.label}: <span className="text-ink">{formatBytes(k.bytes)}</span> ({k.entries})
              </li>
            ))}
          </ul>
          <p className="mt-1 text-xs text-muted" data-testid="memory-process">
            Engine process: {formatBytes(report.process.rssBytes)} resident, JavaScript heap {formatBytes(report.process.heapBytes)}; evicted to fit the budget so far: {report.evictions}
          </p>
        </>
      )}
      {crowded && (
        <p className="mt-1 text-xs text-warning" data-testid="memory-crowded">
          {crowded}
        </p>
      )}
      <Message text={note} error={false} className="mt-2 text-xs" />
      <Message text={error} className="mt-2 text-sm" />
    </section>
  );
}
