import { useRef } from 'react';
import { formatCount } from '../lib/formatCount';

/** "12 s", "3 min", "1 h 5 min": a time left as a person reads it. */
const duration = (seconds: number) => (seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`);

/** Long work shows how far it is and can be cancelled; with a `unit`, also its rate and the time left. */
export function JobProgress({
  label,
  done,
  total,
  onCancel,
  cancelLabel = 'Cancel',
  cancelTitle = 'Stop (Esc)',
  unit,
}: {
  label: string;
  done: number;
  total: number;
  onCancel?: () => void;
  cancelLabel?: string;
  cancelTitle?: string;
  /** What is counted ("images"): shows "42 images/s · 3 min left" once a second has passed. */
  unit?: string;
}) {
  const share = total > 0 ? done / total : 0;
  // The rate is measured from the first report this component saw, so work done before (a cache) does not inflate it.
  const start = useRef<{ at: number; done: number }>(undefined);
  if (!start.current || done < start.current.done) start.current = { at: performance.now(), done };
  const elapsed = (performance.now() - start.current.at) / 1000;
  const rate = elapsed >= 1 ? (done - start.current.done) / elapsed : 0;
  return (
    <div className="flex items-center gap-3 text-sm" role="status" aria-label={label}>
      <span className="text-muted">{label}</span>
      <div className="h-2 w-48 overflow-hidden rounded bg-panel-raised" role="progressbar" aria-label={`${label} progress`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        {/* No easing: an animated bar kept the compositor drawing through every job (35-45 ms of CPU a frame without a GPU). */}
        <div className="h-full origin-left bg-accent" style={{ transform: `scaleX(${share.toFixed(3)})` }} />
      </div>
      <span className="tabular-nums text-muted">
        {formatCount(done)} / {formatCount(total)}
      </span>
      {unit && rate > 0 && (
        <span className="tabular-nums text-muted" data-testid="job-rate">
          {rate >= 10 ? Math.round(rate) : rate.toFixed(1)} {unit}/s · {duration((total - done) / rate)} left
        </span>
      )}
      {onCancel && (
        <button type="button" onClick={onCancel} className="rounded border border-line px-2 py-0.5 text-xs hover:bg-panel-raised" title={cancelTitle}>
          {cancelLabel}
        </button>
      )}
    </div>
  );
}
