import { useState } from 'react';
import type { CallResult } from '../../../electron/api/contract';
import { formatDateTime } from '../lib/formatTime';

export type Orphan = CallResult<'project.recovery'>['sessions'][number];

/**
 * The work of windows that closed without saving. One is offered as a
 * question; several are listed, newest first, each recovered or discarded on
 * its own. "Later" keeps them all for the next start.
 */
export function RecoveryDialog({ orphans, onRecover, onDiscard, onLater }: { orphans: Orphan[]; onRecover(o: Orphan): Promise<void>; onDiscard(o: Orphan): Promise<void>; onLater(): void }) {
  const [error, setError] = useState<string>();
  const act = (what: (o: Orphan) => Promise<void>, o: Orphan) => () => void what(o).catch((e: Error) => setError(e.message));
  const when = (o: Orphan) => (o.savedAt ? formatDateTime(new Date(o.savedAt)) : 'at an unknown time');
  return (
    <div role="alertdialog" aria-label="Recover unsaved work" aria-modal="false" className="fixed bottom-10 left-1/2 z-50 w-[28rem] -translate-x-1/2 rounded-lg border border-accent bg-panel p-4 text-sm shadow-lg">
      <p className="mb-3">
        {orphans.length === 1
          ? 'A Latent Studio window closed without saving its work.'
          : `${orphans.length} Latent Studio windows closed without saving their work.`}{' '}
        Recovering opens it here; this window's current work is replaced.
      </p>
      <ul className="mb-3 flex max-h-64 flex-col gap-2 overflow-auto">
        {orphans.map((o) => (
          <li key={o.session} className="flex items-center gap-2 rounded border border-line p-2" data-testid="recovery-item">
            <span className="min-w-0 flex-1">
              {o.project ? (
                <>
                  “{o.project.name}” <span className="text-muted">autosaved {when(o)}</span>
                </>
              ) : (
                <span className="text-danger">An autosave could not be read: {o.problem}</span>
              )}
            </span>
            <button type="button" className="rounded border border-line px-3 py-1" onClick={act(onDiscard, o)} aria-label={`Discard ${o.project ? `“${o.project.name}”` : 'the unreadable autosave'}`}>
              Discard
            </button>
            {o.project && (
              <button type="button" className="rounded bg-accent px-3 py-1 font-medium text-canvas" onClick={act(onRecover, o)} aria-label={`Recover “${o.project.name}”`}>
                Recover
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="mb-2 text-danger">
          {error}
        </p>
      )}
      <div className="flex justify-end">
        <button type="button" className="rounded border border-line px-3 py-1" onClick={onLater} title="Keep these autosaves and decide at the next start">
          Later
        </button>
      </div>
    </div>
  );
}
