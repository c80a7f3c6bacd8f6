import { JobProgress } from '../../components/JobProgress';
import { useEncoding } from './useEncoding';
import { formatCount } from '../../lib/formatCount';

/** Encodes the dataset under a model (once; the codes are kept) and shows the job's progress or its error. */
export function EncodingStatus({ model, dataset }: { model: string; dataset: string }) {
  const job = useEncoding(model, dataset);
  if (job.error)
    return (
      <div role="alert" className="flex items-center gap-3 text-sm text-danger">
        {job.error}
        <button type="button" onClick={job.restart} className="rounded border border-line px-2 py-0.5 text-xs text-ink hover:bg-panel-raised">
          Encode again
        </button>
      </div>
    );
  if (job.projecting)
    return (
      <p role="status" className="text-sm text-muted">
        Encoded {formatCount(job.progress!.total)} images; computing their principal components…
      </p>
    );
  if (job.progress) return <JobProgress label="Encoding the dataset" done={job.progress.done} total={job.progress.total} unit="images" onCancel={job.cancel} />;
  return null;
}
