import { useState, type FormEvent } from 'react';
import { JobProgress } from '../../components/JobProgress';
import { Message } from '../../components/Message';
import { useAppStore } from '../../state/appStore';
import { DATASET_PATH_INPUT, useDatasetStore } from '../../state/datasetStore';
import { formatCount } from '../../lib/formatCount';

/** Datasets: the bundled sample and folders of the user's own images, opened, read again, or forgotten. */
export function DatasetsPanel() {
  const client = useAppStore((s) => s.client);
  const info = useAppStore((s) => s.info);
  const { datasets, opening, message, open, remove } = useDatasetStore();
  // Datasets the models ship with that are not open yet: offered, not read unasked (a large one takes a while).
  const shipped = useAppStore((s) => s.models).filter((m) => m.dataset && !datasets.some((d) => d.folder === m.dataset));
  const [path, setPath] = useState('');
  const [error, setError] = useState<string>();
  if (!client || !info) return null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) void open(client, path.trim());
  };
  const browse = async () => {
    setError(undefined);
    try {
      const picked = await client.invoke('library.pickFolder', {});
      if (picked.path) {
        setPath(picked.path);
        await open(client, picked.path);
      }
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Datasets">
      <h3 className="mb-2 text-sm font-medium">Datasets</h3>
      <p className="mb-3 text-xs text-muted">
        A folder of your own PNG, JPEG or WebP images becomes a dataset to explore, pick from and make directions with. Subfolder names, or a labels.csv of file,label rows, are its labels (more columns under a file,… header are more ways to label it). Each model sees the images fitted to its input; codes are kept on disk, so opening it again is instant and only new or changed files are read.
      </p>
      <form onSubmit={submit} className="flex gap-2">
        <input
          id={DATASET_PATH_INPUT}
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/path/to/your/images"
          aria-label="Image folder path"
          className="min-w-0 flex-1 rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink placeholder:text-muted"
        />
        <button type="submit" disabled={!!opening} className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised disabled:opacity-40" title="Read the folder typed on the left as a dataset">
          Open folder
        </button>
        {info.folderDialog && (
          <button type="button" disabled={!!opening} onClick={() => void browse()} className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised disabled:opacity-40" title="Choose a folder">
            Browse…
          </button>
        )}
      </form>
      {opening && (
        <div className="mt-2">
          <JobProgress label="Reading images" done={opening.done} total={opening.total} unit="images" onCancel={opening.stop} cancelLabel="Stop" cancelTitle="Stop now; opening the folder again goes on from here (Esc)" />
          {opening.skipped > 0 && <p className="mt-1 text-xs text-warning">{opening.skipped} file{opening.skipped === 1 ? '' : 's'} could not be read so far</p>}
        </div>
      )}
      {message && (
        <p role={message.error ? 'alert' : 'status'} className={`mt-2 text-sm ${message.error ? 'text-danger' : 'text-muted'}`} data-testid="dataset-message">
          {message.text}
        </p>
      )}
      <Message text={error} className="mt-2 text-sm" />
      {shipped.length > 0 && (
        <ul className="mt-3 flex flex-col gap-1 text-sm" aria-label="Datasets your models ship with">
          {shipped.map((m) => (
            <li key={m.id} className="flex items-center justify-between gap-2">
              <span>
                {m.name} ships with <code className="text-xs">{m.dataset}</code>
              </span>
              <button type="button" disabled={!!opening} onClick={() => void open(client, m.dataset!)} className="rounded border border-line px-2 py-0.5 text-xs hover:bg-panel-raised disabled:opacity-40">
                Open it
              </button>
            </li>
          ))}
        </ul>
      )}
      <ul className="mt-3 flex flex-col gap-2 text-sm" aria-label="Open datasets">
        {datasets.map((d) => (
          <li key={d.id} className="rounded border border-line px-3 py-2" data-testid="dataset-card">
            <div className="flex items-center justify-between gap-2">
              <span>
                <span className="font-medium">{d.name}</span>
                <span className="text-muted">
                  {' '}
                  · {formatCount(d.count)} images · {d.labels.length} label{d.labels.length === 1 ? '' : 's'}
                </span>
              </span>
              {d.source === 'folder' && (
                <span className="flex gap-3">
                  <button type="button" disabled={!!opening} onClick={() => void open(client, d.folder!)} className="text-xs text-muted hover:text-ink disabled:opacity-40" title="Read the folder again: new and changed files are taken in, removed ones dropped">
                    Read again
                  </button>
                  <button type="button" onClick={() => void remove(client, d.id).catch((e: Error) => setError(e.message))} className="text-xs text-muted hover:text-danger" title="Forget this dataset (its images stay on disk)">
                    Remove
                  </button>
                </span>
              )}
            </div>
            {d.folder && <code className="block break-all text-xs text-muted">{d.folder}</code>}
            <p className="text-xs text-muted">{d.labels.map((label, i) => `${label} (${formatCount(d.labelCounts[i]!)})`).join(' · ')}</p>
            {d.problem && <p className="text-xs text-warning">{d.problem}</p>}
            {d.skippedCount > 0 && (
              <details className="mt-1 text-xs" data-testid="skipped-files">
                <summary className="cursor-pointer text-warning">
                  {d.skippedCount} file{d.skippedCount === 1 ? '' : 's'} could not be read
                </summary>
                <ul className="mt-1 max-h-40 overflow-auto text-muted">
                  {d.skipped.map((s) => (
                    <li key={s.path}>
                      <code>{s.path}</code>: {s.reason}
                    </li>
                  ))}
                  {d.skippedCount > d.skipped.length && <li>… and {d.skippedCount - d.skipped.length} more</li>}
                </ul>
              </details>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
