/** Long work shows how far it is and can be cancelled. */
export function JobProgress({
  label,
  done,
  total,
  onCancel,
  cancelLabel = 'Cancel',
  cancelTitle = 'Stop (Esc)',
}: {
  label: string;
  done: number;
  total: number;
  onCancel?: () => void;
  cancelLabel?: string;
  cancelTitle?: string;
}) {
  const share = total > 0 ? done / total : 0;
  return (
    <div className="flex items-center gap-3 text-sm" role="status" aria-label={label}>
      <span className="text-muted">{label}</span>
      <div className="h-2 w-48 overflow-hidden rounded bg-panel-raised" role="progressbar" aria-label={`${label} progress`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        <div className="h-full bg-accent transition-[width]" style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
      <span className="tabular-nums text-muted">
        {done.toLocaleString('en')} / {total.toLocaleString('en')}
      </span>
      {onCancel && (
        <button type="button" onClick={onCancel} className="rounded border border-line px-2 py-0.5 text-xs hover:bg-panel-raised" title={cancelTitle}>
          {cancelLabel}
        </button>
      )}
    </div>
  );
}
