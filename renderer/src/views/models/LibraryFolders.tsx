import { useState, type FormEvent } from 'react';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';

/** The user's own model folders: a path field everywhere, a folder dialog in the desktop app. */
export function LibraryFolders() {
  const client = useAppStore((s) => s.client);
  const info = useAppStore((s) => s.info);
  const problems = useAppStore((s) => s.problems);
  const libraryChanged = useAppStore((s) => s.libraryChanged);
  const [path, setPath] = useState('');
  const [error, setError] = useState<string>();
  if (!client || !info) return null;

  async function run(work: () => Promise<void>) {
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const add = (folder: string) => run(async () => libraryChanged(await client.invoke('library.addFolder', { path: folder })));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) void add(path.trim()).then(() => setPath(''));
  };
  const browse = () =>
    run(async () => {
      const picked = await client.invoke('library.pickFolder', {});
      if (picked.path) await add(picked.path);
    });

  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Your model folders">
      <h3 className="mb-2 text-sm font-medium">Your model folders</h3>
      <p className="mb-3 text-xs text-muted">A folder with a manifest.json and its ONNX graphs, or a folder of such folders. Added folders are remembered.</p>
      <form onSubmit={submit} className="flex gap-2">
        <input
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/path/to/models"
          aria-label="Model folder path"
          className="min-w-0 flex-1 rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink placeholder:text-muted"
        />
        <button type="submit" className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised" title="Add the folder typed on the left">
          Add folder
        </button>
        {info.folderDialog && (
          <button type="button" onClick={() => void browse()} className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised" title="Choose a folder">
            Browse…
          </button>
        )}
      </form>
      <Message text={error} className="mt-2 text-sm" />
      {info.userFolders.length > 0 && (
        <ul className="mt-3 text-sm">
          {info.userFolders.map((folder) => (
            <li key={folder} className="flex items-center justify-between gap-2 py-0.5">
              <code className="break-all text-xs">{folder}</code>
              <button
                type="button"
                onClick={() => void run(async () => libraryChanged(await client.invoke('library.removeFolder', { path: folder })))}
                className="text-xs text-muted hover:text-danger"
                title="Forget this folder (its files stay on disk)"
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {problems.length > 0 && (
        <div className="mt-3" aria-label="Models that could not be loaded">
          <h4 className="mb-1 text-sm font-medium text-danger">Models that could not be loaded</h4>
          <ul className="text-sm text-muted">
            {problems.map((p) => (
              <li key={`${p.folder}:${p.field}`}>
                <code className="text-xs">{p.folder}</code>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
