import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { Project } from '../../../electron/api/project';
import type { StudioClient } from '../../../electron/api/client';
import { useAppStore } from '../state/appStore';
import { DATASET_PATH_INPUT, useDatasetStore } from '../state/datasetStore';
import { applyProject, emptyProject, SESSION_ID, snapshotProject, trackChanges, useProjectStore } from '../state/projectSync';
import { RecoveryDialog, type Orphan } from './RecoveryDialog';
import { FileMenu } from './FileMenu';
import { noPointerPressed, watchPointerPresses } from '../lib/pointerGesture';
import { formatClock } from '../lib/formatTime';

const AUTOSAVE_IDLE_MS = 3000;

/** Browser mode has no native dialogs: the path is typed, with a suggestion. */
function PathDialog({ title, initial, onSubmit, onCancel }: { title: string; initial: string; onSubmit(path: string): void; onCancel(): void }) {
  const [path, setPath] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) onSubmit(path.trim());
  };
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/60" role="dialog" aria-label={title} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form onSubmit={submit} className="w-[32rem] rounded-lg border border-line bg-panel p-4">
        <h2 className="mb-3 text-sm font-medium">{title}</h2>
        <input autoFocus value={path} onChange={(e) => setPath(e.target.value)} aria-label="Project file path" className="mb-3 w-full rounded border border-line bg-panel-raised px-2 py-1 text-sm" />
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onCancel} className="rounded border border-line px-3 py-1 text-sm">
            Cancel
          </button>
          <button type="submit" className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas">
            {title.startsWith('Open') ? 'Open' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}

/** Writes this window's autosave now. */
async function autosaveNow(client: StudioClient): Promise<void> {
  const r = await client.invoke('project.autosave', { session: SESSION_ID, project: snapshotProject(useProjectStore.getState().name) });
  useProjectStore.getState().set({ autosavedAt: r.savedAt });
}

/** New, Open, Save, Save As and recent projects; autosave after a few idle seconds; recovery after a crash. */
export function ProjectMenu() {
  const client = useAppStore((s) => s.client);
  const info = useAppStore((s) => s.info);
  const project = useProjectStore();
  const [dialog, setDialog] = useState<'open' | 'save'>();
  const [recent, setRecent] = useState<{ path: string; exists: boolean }[]>([]);
  const [orphans, setOrphans] = useState<Orphan[]>([]);
  const [recoveryChecked, setRecoveryChecked] = useState(false);
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();
  const [warnings, setWarnings] = useState<string[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const suppress = useRef(false);

  const refreshRecent = useCallback(() => {
    client?.invoke('project.recent', {}).then((r) => setRecent(r.projects), () => {});
  }, [client]);

  useEffect(() => {
    if (!client) return;
    refreshRecent();
    client.invoke('project.recovery', { session: SESSION_ID }).then(
      (r) => {
        setOrphans(r.sessions);
        setRecoveryChecked(true);
      },
      (e: Error) => setMessage({ text: `Unsaved work of other windows could not be looked for: ${e.message}`, error: true }),
    );
  }, [client, refreshRecent]);

  // Any change marks the project dirty and schedules an autosave once the user pauses, and not before a drag under way
  // ends (a slider's value reaches the store only on release), so the project's bytes never queue before its decodes.
  useEffect(() => {
    if (!client) return;
    watchPointerPresses();
    return trackChanges(() => {
      if (suppress.current) return;
      useProjectStore.getState().set({ dirty: true });
      clearTimeout(timer.current);
      const scheduled = (timer.current = setTimeout(async () => {
        await noPointerPressed();
        // A change during the press scheduled another autosave, which this one leaves to it.
        if (timer.current !== scheduled) return;
        await autosaveNow(client).catch((e: Error) => setMessage({ text: `Autosave failed: ${e.message}`, error: true }));
      }, AUTOSAVE_IDLE_MS));
    });
  }, [client]);

  const load = (p: Project, path?: string) => {
    suppress.current = true;
    applyProject(p);
    suppress.current = false;
    useProjectStore.getState().set({ name: p.name, path, dirty: false, savedAt: undefined });
  };

  const saveTo = useCallback(
    async (path: string) => {
      if (!client) return;
      try {
        const name = path.split(/[\\/]/).pop()!.replace(/\.lsproj$/, '') || 'Untitled';
        const result = await client.invoke('project.save', { path, project: snapshotProject(name), session: SESSION_ID });
        clearTimeout(timer.current);
        timer.current = undefined;
        useProjectStore.getState().set({ name, path: result.path, dirty: false, savedAt: result.savedAt });
        setMessage({ text: `Saved ${result.path}` });
        refreshRecent();
      } catch (e) {
        setMessage({ text: (e as Error).message, error: true });
      }
    },
    [client, refreshRecent],
  );

  const openFrom = useCallback(
    async (path: string) => {
      if (!client) return;
      if (useProjectStore.getState().dirty && !window.confirm('Open another project? Unsaved changes to this one will be lost.')) return;
      try {
        const result = await client.invoke('project.open', { path });
        load(result.project, result.path);
        setMessage({ text: `Opened ${result.path}${result.migratedFrom ? ` (upgraded from project format ${result.migratedFrom}; the file changes only when you save)` : ''}` });
        setWarnings(result.warnings);
        refreshRecent();
      } catch (e) {
        setMessage({ text: (e as Error).message, error: true });
      }
    },
    [client, refreshRecent],
  );

  const ask = useCallback(
    async (mode: 'open' | 'save') => {
      if (!client) return;
      if (info?.folderDialog) {
        const { path } = await client.invoke('project.pickPath', { mode, suggestedName: useProjectStore.getState().name });
        if (path) await (mode === 'open' ? openFrom(path) : saveTo(path));
      } else setDialog(mode);
    },
    [client, info, openFrom, saveTo],
  );

  const save = useCallback(() => {
    const path = useProjectStore.getState().path;
    return path ? saveTo(path) : ask('save');
  }, [saveTo, ask]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 's') {
        e.preventDefault();
        void (e.shiftKey ? ask('save') : save());
      } else if (key === 'o') {
        e.preventDefault();
        void ask('open');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ask, save]);

  /** A folder dialog in the desktop app; in browser mode, the Models view's path field. */
  const openImageFolder = async () => {
    const { client, info, setView } = useAppStore.getState();
    if (client && info?.folderDialog) {
      const picked = await client.invoke('library.pickFolder', {});
      if (picked.path) await useDatasetStore.getState().open(client, picked.path);
      setView('models');
      return;
    }
    setView('models');
    requestAnimationFrame(() => document.getElementById(DATASET_PATH_INPUT)?.focus());
  };

  const newProject = () => {
    if (project.dirty && !window.confirm('Start a new project? Unsaved changes will be lost.')) return;
    load(emptyProject());
  };

  return (
    <div className="flex items-center gap-3" data-recovery={recoveryChecked ? 'checked' : 'pending'}>
      <FileMenu
        items={[
          { label: 'New project', onSelect: newProject },
          { label: 'Open…', shortcut: 'Ctrl+O', onSelect: () => void ask('open') },
          { label: 'Save', shortcut: 'Ctrl+S', onSelect: () => void save() },
          { label: 'Save as…', shortcut: 'Ctrl+Shift+S', onSelect: () => void ask('save') },
          { label: 'Open image folder as dataset…', onSelect: () => void openImageFolder() },
          ...recent.map((r, i) => ({
            label: r.path.split(/[\\/]/).pop()!,
            title: r.exists ? r.path : `${r.path} (missing)`,
            disabled: !r.exists,
            group: i === 0 ? 'Recent' : undefined,
            onSelect: () => void openFrom(r.path),
          })),
        ]}
      />
      <span className="text-sm text-muted" data-testid="project-name">
        {project.name}
        {project.dirty ? ' •' : ''}
      </span>
      {project.autosavedAt && project.dirty && <span className="text-xs text-muted">autosaved {formatClock(new Date(project.autosavedAt))}</span>}
      {message && (
        <span role={message.error ? 'alert' : 'status'} className={`max-w-xl truncate text-xs ${message.error ? 'text-danger' : 'text-muted'}`} title={message.text}>
          {message.text}
        </span>
      )}
      {warnings.length > 0 && (
        <div role="alert" aria-label="Project warnings" className="fixed bottom-10 right-4 z-50 w-96 rounded-lg border border-warning bg-panel p-4 text-sm shadow-lg">
          <ul className="mb-3 list-disc space-y-1 pl-4">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
          <div className="flex justify-end">
            <button type="button" className="rounded border border-line px-3 py-1" onClick={() => setWarnings([])}>
              OK
            </button>
          </div>
        </div>
      )}
      {orphans.length > 0 && client && (
        <RecoveryDialog
          orphans={orphans}
          onRecover={async (orphan) => {
            load(orphan.project!);
            useProjectStore.getState().set({ dirty: true });
            setWarnings(orphan.warnings ?? []);
            // The work lives on in this window's autosave before the orphan's file goes.
            await autosaveNow(client);
            await client.invoke('project.discardRecovery', { session: orphan.session });
            setOrphans((all) => all.filter((o) => o.session !== orphan.session));
          }}
          onDiscard={async (orphan) => {
            await client.invoke('project.discardRecovery', { session: orphan.session });
            setOrphans((all) => all.filter((o) => o.session !== orphan.session));
          }}
          onLater={() => setOrphans([])}
        />
      )}
      {dialog && (
        <PathDialog
          title={dialog === 'open' ? 'Open project' : 'Save project as'}
          initial={project.path ?? `${info?.documentsDir ?? ''}/${project.name}.lsproj`}
          onCancel={() => setDialog(undefined)}
          onSubmit={(path) => {
            setDialog(undefined);
            void (dialog === 'open' ? openFrom(path) : saveTo(path));
          }}
        />
      )}
    </div>
  );
}
