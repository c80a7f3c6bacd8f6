import { useEffect } from 'react';
import { createClient } from './client';
import { ProjectMenu } from './components/ProjectMenu';
import { StatusBar } from './components/StatusBar';
import { ViewTabs } from './components/ViewTabs';
import { VIEWS, useAppStore, type ViewId } from './state/appStore';
import { useDatasetStore } from './state/datasetStore';
import { stopViewJob } from './state/jobsStore';
import { ModelsView } from './views/models/ModelsView';
import { ExploreView } from './views/explore/ExploreView';
import { InterpolateView } from './views/interpolate/InterpolateView';
import { EditView } from './views/edit/EditView';
import { DiffuseView } from './views/diffuse/DiffuseView';
import { InvertView } from './views/invert/InvertView';

const VIEW_COMPONENTS: Record<ViewId, () => React.JSX.Element> = {
  explore: ExploreView,
  interpolate: InterpolateView,
  edit: EditView,
  invert: InvertView,
  diffuse: DiffuseView,
  models: ModelsView,
};

function useConnection() {
  const connected = useAppStore((s) => s.connected);
  const failed = useAppStore((s) => s.failed);
  const libraryChanged = useAppStore((s) => s.libraryChanged);
  useEffect(() => {
    let unsubscribe = () => {};
    createClient()
      .then(async (client) => {
        unsubscribe = client.subscribe('models.changed', libraryChanged);
        connected(client, await client.invoke('app.info', {}));
        await useDatasetStore.getState().refresh(client);
      })
      .catch((error: Error) => failed(error.message));
    return () => unsubscribe();
  }, [connected, failed, libraryChanged]);
}

function useViewShortcuts() {
  const setView = useAppStore((s) => s.setView);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // Esc stops the focused view's running job, unless a menu or dialog took it first.
      if (event.key === 'Escape' && !event.defaultPrevented && !(event.target as Element | null)?.closest?.('[role="dialog"], [role="alertdialog"], [role="menu"]')) {
        if (stopViewJob(useAppStore.getState().view)) event.preventDefault();
        return;
      }
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const index = Number(event.key) - 1;
      if (index >= 0 && index < VIEWS.length) {
        event.preventDefault();
        setView(VIEWS[index]!.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setView]);
}

export function App() {
  useConnection();
  useViewShortcuts();
  const view = useAppStore((s) => s.view);
  const error = useAppStore((s) => s.connectionError);
  const View = VIEW_COMPONENTS[view];
  return (
    <div className="grid h-full grid-cols-[11rem_1fr] grid-rows-[auto_1fr_auto]">
      <header className="col-span-2 flex h-10 items-center border-b border-line bg-panel px-4">
        <h1 className="mr-6 text-sm font-semibold tracking-wide">Latent Studio</h1>
        <ProjectMenu />
      </header>
      <aside className="border-r border-line bg-panel">
        <ViewTabs />
      </aside>
      <main id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} className="min-h-0 overflow-hidden" data-view={view}>
        {error ? (
          <div role="alert" className="m-6 rounded border border-danger/50 bg-panel p-4 text-sm text-danger">
            {error}
          </div>
        ) : (
          <View />
        )}
      </main>
      <div className="col-span-2">
        <StatusBar />
      </div>
    </div>
  );
}
