import { useViewState } from '../state/viewState';

export type Scale = 1 | 2 | 4 | 8;
const SCALES: Scale[] = [1, 2, 4, 8];

/** The longer side an export gets before a scale is chosen: 4× a 28 or 256 px image, 2× at 512 px, 1× from 1024 px. */
const DEFAULT_LONGEST = 1024;

/** 4×, or the largest of 2× and 1× that keeps the export within DEFAULT_LONGEST (a 1024 px model at 4× is a 4096 px PNG, and a GIF of such frames takes minutes). */
export function defaultScale(size?: readonly number[]): Scale {
  const longer = size && size.length > 0 ? Math.max(...size) : 0;
  return ([4, 2, 1] as const).find((s) => longer * s <= DEFAULT_LONGEST) ?? 1;
}

/** The export size every view shares: 1×, 2×, 4× or 8× the image's resolution, sharp or smooth; until one is chosen, defaultScale. */
export function useExportScale() {
  const [chosen, setScale] = useViewState<Scale | undefined>('export.scale', undefined);
  const [smooth, setSmooth] = useViewState('export.smooth', false);
  /** The scale an export of images of `size` [height, width] uses. */
  const scaleFor = (size?: readonly number[]): Scale => chosen ?? defaultScale(size);
  return { scaleFor, setScale, smooth, setSmooth };
}

/** Picks the export scale, showing the pixel size each gives for an image of `size` [height, width]. */
export function ExportScale({ size, withSmooth = true }: { size?: readonly number[]; withSmooth?: boolean }) {
  const { scaleFor, setScale, smooth, setSmooth } = useExportScale();
  const scale = scaleFor(size);
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
