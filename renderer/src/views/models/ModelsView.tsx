import { useEffect, useRef, useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useAppStore } from '../../state/appStore';
import { LibraryFolders } from './LibraryFolders';
import { ModelCard } from './ModelCard';
import { RuntimePanel } from './RuntimePanel';
import { MemoryPanel } from './MemoryPanel';
import { TryImagePanel } from './TryImagePanel';
import { PcaPanel } from './PcaPanel';
import { DatasetsPanel } from './DatasetsPanel';
import { pictureWork } from '../../lib/pictureWork';

/**
 * Opening the library loads every model, so each shows the provider it really runs on; not those the memory
 * budget released (loading them would evict others, and the view would chase its own tail). One load at a time, each
 * once no sample grid is decoding.
 */
export function useLoadAll(): string | undefined {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models);
  const [error, setError] = useState<string>();
  const pending = models.filter((m) => !m.provider && !m.evicted).map((m) => m.id).join(',');
  // The load under way. Each load that lands changes `pending` and restarts the loop below, which waits for it rather
  // than starting another beside it (or asking for the same model again): at start-up every models.changed restarted
  // the loop, and three loads went to the engine's one runtime thread at once, where the first picture a person asked
  // for in another view then waited behind all of them.
  const loading = useRef<Promise<unknown>>(Promise.resolve());
  useEffect(() => {
    if (!client || !pending) return;
    let cancelled = false;
    (async () => {
      for (const id of pending.split(',')) {
        // The sample grids on screen first: a load between their runs delays the pictures a person is waiting for.
        await pictureWork.idle();
        await loading.current;
        if (cancelled) return;
        if (useAppStore.getState().models.find((m) => m.id === id)?.provider) continue;
        loading.current = client.invoke('model.load', { model: id }).catch((e: Error) => setError(`${id}: ${e.message}`));
        await loading.current;
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, pending]);
  return error;
}

export function ModelsView() {
  const models = useAppStore((s) => s.models);
  const info = useAppStore((s) => s.info);
  const loadError = useLoadAll();
  if (!info) return <EmptyState title="Connecting to the engine…">The model library appears once the engine answers.</EmptyState>;
  return (
    <div className="h-full overflow-auto p-6">
      <h2 className="mb-4 text-lg font-medium">Model library</h2>
      <RuntimePanel />
      <MemoryPanel />
      {loadError && (
        <p role="alert" className="mb-4 text-sm text-danger">
          Could not load {loadError}
        </p>
      )}
      <DatasetsPanel />
      <TryImagePanel />
      <PcaPanel />
      {models.length === 0 ? (
        <EmptyState title="No models yet">The bundled models live in the app's models/ folder; add your own folder below.</EmptyState>
      ) : (
        <div className="mb-4 grid grid-cols-[repeat(auto-fill,minmax(26rem,1fr))] gap-4">
          {models.map((m) => (
            <ModelCard key={m.id} model={m} />
          ))}
        </div>
      )}
      <LibraryFolders />
    </div>
  );
}
