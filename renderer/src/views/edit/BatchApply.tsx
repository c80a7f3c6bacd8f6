import { memo, useState } from 'react';
import type { DatasetSummary } from '../../../../electron/api/contract';
import { ApiError } from '../../../../electron/api/errors';
import type { Edit } from '../../../../electron/common/vectors';
import { JobProgress } from '../../components/JobProgress';
import { useAppStore } from '../../state/appStore';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';
import { formatCount } from '../../lib/formatCount';

type Source = 'listed' | 'all' | 'folder';

/** The edit stack applied to many images at once, each written as a PNG (with the edit embedded) into a folder the user names. */
export const BatchApply = memo(function BatchApply({ model, dataset, stack, vectors, scale, smooth }: { model: string; dataset?: DatasetSummary; stack: Edit[]; vectors: ReadonlyMap<string, Float32Array>; scale: 1 | 2 | 4 | 8; smooth: boolean }) {
  const client = useAppStore((s) => s.client);
  const folderDialog = useAppStore((s) => !!s.info?.folderDialog);
  const [source, setSource] = useViewState<Source>('edit.batch.source', dataset ? 'listed' : 'folder');
  const [listed, setListed] = useViewState('edit.batch.listed', '');
  const [folder, setFolder] = useViewState('edit.batch.folder', '');
  const [output, setOutput] = useViewState('edit.batch.output', '');
  const [job, setJob] = useViewState<{ done: number; total: number; stop(): void } | undefined>('edit.batch.job', undefined);
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();
  const from: Source = !dataset && source !== 'folder' ? 'folder' : source;
  const edits = stack.filter((e) => e.amount !== 0 && vectors.has(e.direction));

  async function browse(set: (path: string) => void) {
    const picked = await client!.invoke('library.pickFolder', {});
    if (picked.path) set(picked.path);
  }

  async function apply() {
    if (!client) return;
    setMessage(undefined);
    if (edits.length === 0) return setMessage({ text: 'Move a direction slider first: the stack is empty.', error: true });
    if (!output.trim()) return setMessage({ text: 'Name the folder the edited images go to.', error: true });
    let indices: number[] | undefined;
    if (from === 'listed') {
      indices = listed.split(/[\s,]+/).filter(Boolean).map(Number);
      if (indices.length === 0 || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= dataset!.count)) return setMessage({ text: `List ${dataset!.name}'s image numbers (0–${dataset!.count - 1}), separated by commas.`, error: true });
    }
    if (from === 'folder' && !folder.trim()) return setMessage({ text: 'Name the folder of images to edit.', error: true });
    const controller = new AbortController();
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'edit', label: 'Editing images', done: 0, total: 0, stop: () => controller.abort() });
    setJob({ done: 0, total: 0, stop: () => controller.abort() });
    try {
      const r = await client.invoke(
        'edit.applyBatch',
        {
          model,
          source: from === 'folder' ? { kind: 'folder', path: folder.trim() } : { kind: 'dataset', dataset: dataset!.id, ...(indices ? { indices } : {}) },
          edits: edits.map((e) => ({ direction: e.direction, amount: e.amount, vector: Array.from(vectors.get(e.direction)!) })),
          output: output.trim(),
          scale,
          smooth,
        },
        {
          signal: controller.signal,
          onProgress: (p) => {
            jobs.update(jobId, p.done, p.total);
            setJob({ done: p.done, total: p.total, stop: () => controller.abort() });
          },
        },
      );
      const skipped = r.skippedCount ? `; ${r.skippedCount} could not be read (${r.skipped.slice(0, 3).map((s) => s.path).join(', ')}${r.skippedCount > 3 ? ', …' : ''})` : '';
      setMessage({ text: `Wrote ${formatCount(r.written)} edited image${r.written === 1 ? '' : 's'} to ${r.output}${skipped}.` });
    } catch (e) {
      setMessage({ text: e instanceof ApiError && e.code === 'cancelled' ? `Stopped: ${e.message}.` : (e as Error).message, error: !(e instanceof ApiError && e.code === 'cancelled') });
    } finally {
      jobs.finish(jobId);
      setJob(undefined);
    }
  }

  const field = 'min-w-0 flex-1 rounded border border-line bg-panel-raised px-2 py-1';
  return (
    // Folded by default: the picture above takes the height it leaves, and small windows need it.
    <details aria-label="Apply to many" className="text-sm" open={!!job || !!message}>
      <summary className="cursor-pointer text-xs font-medium uppercase tracking-wide text-muted">Apply the stack to many images…</summary>
      <div className="mt-2 flex flex-col gap-2">
        <div className="flex flex-wrap items-center gap-2">
          <select value={from} onChange={(e) => setSource(e.target.value as Source)} aria-label="Images to edit" className="rounded border border-line bg-panel-raised px-2 py-1">
            {dataset && <option value="listed">Images of {dataset.name}, by number</option>}
            {dataset && <option value="all">All {formatCount(dataset.count)} images of {dataset.name}</option>}
            <option value="folder">A folder of image files</option>
          </select>
          {from === 'listed' && <input value={listed} onChange={(e) => setListed(e.target.value)} placeholder="e.g. 12, 40, 77" aria-label="Image numbers to edit" className={field} />}
          {from === 'folder' && <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/path/to/images" aria-label="Folder of images to edit" className={field} />}
          {from === 'folder' && folderDialog && (
            <button type="button" onClick={() => void browse(setFolder)} className="rounded border border-line px-2 py-1 hover:bg-panel-raised">
              Browse…
            </button>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <input value={output} onChange={(e) => setOutput(e.target.value)} placeholder="/path/to/results" aria-label="Output folder" className={field} title="Edited images are written here as PNGs, with the same names; files of the same name are replaced" />
          {folderDialog && (
            <button type="button" onClick={() => void browse(setOutput)} className="rounded border border-line px-2 py-1 hover:bg-panel-raised">
              Browse…
            </button>
          )}
          <button type="button" onClick={() => void apply()} disabled={!!job} className="rounded border border-line px-2 py-1 hover:bg-panel-raised disabled:opacity-40" title="Encode each image, apply this stack, and write the result as a PNG at the export scale">
            Apply and write PNGs
          </button>
        </div>
        {job && <JobProgress label="Editing images" done={job.done} total={job.total} unit="images" onCancel={job.stop} cancelLabel="Stop" />}
        {message && (
          <p role={message.error ? 'alert' : 'status'} className={message.error ? 'text-danger' : 'text-muted'} data-testid="batch-message">
            {message.text}
          </p>
        )}
      </div>
    </details>
  );
});
