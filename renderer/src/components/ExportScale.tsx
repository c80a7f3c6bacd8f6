import { useViewState } from '../state/viewState';

export type Scale = 1 | 2 | 4 | 8;
const SCALES: Scale[] = [1, 2, 4, 8];

/** The export size every view shares: 1×, 2×, 4× or 8× the model's resolution, sharp or smooth. */
export function useExportScale() {
  const [scale, setScale] = useViewState<Scale>('export.scale', 4);
  const [smooth, setSmooth] = useViewState('export.smooth', false);
  return { scale, setScale, smooth, setSmooth };
}

/** Picks the export scale, showing the pixel size each gives for an image of `size` [height, width]. */
export function ExportScale({ size, withSmooth = true }: { size?: readonly number[]; withSmooth?: boolean }) {
  const { scale, setScale, smooth, setSmooth } = useExportScale();
  const [height, width] = size ?? [];
  return (
    <span className="flex items-center gap-2">
      <select value={scale} onChange={(e) => setScale(Number(e.target.value) as Scale)} aria-label="Export scale" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink" title="Export size">
        {SCALES.map((s) => (
          <option key={s} value={s}>
            {s}×{height && width ? ` · ${width * s}×${height * s} px` : ''}
          </option>
        ))}
      </select>
      {withSmooth && (
        <label className="flex items-center gap-1 text-xs text-muted" title="Smooth (Lanczos) instead of sharp pixels">
          <input type="checkbox" checked={smooth} onChange={(e) => setSmooth(e.target.checked)} /> Smooth
        </label>
      )}
    </span>
  );
}
