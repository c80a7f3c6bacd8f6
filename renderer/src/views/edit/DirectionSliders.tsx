import { setAmount } from '../../../../electron/common/editHistory';
import type { Edit } from '../../../../electron/common/vectors';
import type { CodeSpace } from '../../lib/codeSpace';
import { downloadBytes } from '../../lib/download';
import { useEditStore, type Direction } from '../../state/editStore';
import { memo, useRef, useState } from 'react';
import { Message } from '../../components/Message';
import { SLIDER_STEP } from './sweep';
import { noteSliderActivity } from './sliderActivity';

interface DirectionSlidersProps {
  model: string;
  space: CodeSpace;
  live: Edit[];
  onLive(stack: Edit[]): void;
  onCommit(stack: Edit[]): void;
  focused?: string;
  onFocus(name: string): void;
}

/** Keys that move a range input; releasing one commits the nudge (Ctrl+Z's keyup must not). */
const NUDGE_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

function DirectionSlider({ direction, amount, range, onChange, onRelease, onFocus, focused }: { direction: Direction; amount: number; range: number; onChange(v: number): void; onRelease(v: number): void; onFocus(): void; focused: boolean }) {
  return (
    <div className={`rounded px-2 py-1 ${focused ? 'bg-panel-raised' : ''}`} data-testid={`direction-${direction.name}`}>
      <div className="flex items-center justify-between gap-2 text-sm">
        <span title={direction.note} className="truncate">
          {direction.name}
        </span>
        <span className="tabular-nums text-muted" data-testid="amount">
          {amount >= 0 ? '+' : ''}
          {amount.toFixed(2)}
        </span>
      </div>
      <input
        type="range"
        min={-range}
        max={range}
        step={SLIDER_STEP}
        value={amount}
        aria-label={direction.name}
        title="Drag, or use the arrow keys; double-click resets to 0"
        className="w-full accent-[var(--color-accent)]"
        onFocus={onFocus}
        onChange={(e) => {
          noteSliderActivity();
          onChange(Number(e.target.value));
        }}
        onPointerDown={() => noteSliderActivity(true)}
        onPointerCancel={() => noteSliderActivity(false)}
        onPointerUp={(e) => {
          noteSliderActivity(false);
          onRelease(Number((e.target as HTMLInputElement).value));
        }}
        onKeyUp={(e) => NUDGE_KEYS.has(e.key) && onRelease(Number((e.target as HTMLInputElement).value))}
        onDoubleClick={() => {
          onChange(0);
          onRelease(0);
        }}
      />
    </div>
  );
}

/** One slider per direction of the model; dragging previews live, releasing commits one undoable step. */
export const DirectionSliders = memo(function DirectionSliders({ model, space, live, onLive, onCommit, focused, onFocus }: DirectionSlidersProps) {
  const all = useEditStore((s) => s.directions);
  const range = useEditStore((s) => s.range);
  const setRange = useEditStore((s) => s.setRange);
  const remove = useEditStore((s) => s.removeDirection);
  const addDirection = useEditStore((s) => s.addDirection);
  const [error, setError] = useState<string>();
  const fileInput = useRef<HTMLInputElement>(null);
  // A direction moves codes of one space: only those of the edited code's space are offered.
  const directions = all.filter((d) => d.model === model && (d.space ?? 'z') === space);
  const amountOf = (name: string) => live.find((e) => e.direction === name)?.amount ?? 0;

  function exportJson() {
    const file = { format: 'latent-studio-directions', version: 1, directions: directions.map((d) => ({ name: d.name, model: d.model, kind: d.kind, note: d.note, vector: Array.from(d.vector), ...(space !== 'z' ? { space } : {}) })) };
    downloadBytes(new TextEncoder().encode(JSON.stringify(file, null, 1)), `directions-${model}.json`, 'application/json');
  }

  async function importJson(file: File) {
    setError(undefined);
    try {
      // The schema (zod) loads with the first file read, not with the page.
      const { DirectionsFileSchema } = await import('../../../../electron/api/directionsFile');
      const parsed = DirectionsFileSchema.safeParse(JSON.parse(await file.text()));
      if (!parsed.success) throw new Error(`${file.name} is not a directions file: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      const size = directions[0]?.vector.length;
      let added = 0;
      for (const d of parsed.data.directions) {
        if (d.model !== model || (d.space ?? 'z') !== space) continue;
        if (size !== undefined && d.vector.length !== size) throw new Error(`direction “${d.name}” has ${d.vector.length} values; this model's codes have ${size}`);
        addDirection({ ...d, vector: Float32Array.from(d.vector) });
        added++;
      }
      if (added === 0) throw new Error(`${file.name} holds no directions for ${model}${space === 'z' ? '' : ` in ${space}`}`);
    } catch (e) {
      setError(e instanceof SyntaxError ? `${file.name} is not valid JSON` : (e as Error).message);
    }
  }

  return (
    // A pointer moving over the sliders is about to press one: background decodes hold off from here, so the press's
    // own decode waits for at most the one already in flight, which the approach gives time to finish.
    <section aria-label="Directions" className="flex flex-col gap-1" onPointerMove={() => noteSliderActivity()}>
      <div className="flex items-center justify-between">
        <h3 className="text-xs font-medium uppercase tracking-wide text-muted">Directions</h3>
        <label className="flex items-center gap-1 text-xs text-muted" title="Slider range ±s">
          ±
          <input type="number" min={1} max={20} value={range} onChange={(e) => setRange(Math.min(20, Math.max(1, Number(e.target.value) || 4)))} className="w-12 rounded border border-line bg-panel-raised px-1" aria-label="Slider range" />
        </label>
      </div>
      {directions.length === 0 && <p className="text-sm text-muted">No directions yet: make one below, from two of the dataset’s classes, images you pick, or its principal directions.</p>}
      {directions.map((d) => (
        <div key={d.name} className="group relative">
          <DirectionSlider
            direction={d}
            amount={amountOf(d.name)}
            range={range}
            focused={focused === d.name}
            onFocus={() => onFocus(d.name)}
            onChange={(v) => onLive(setAmount(live, d.name, v))}
            onRelease={(v) => onCommit(setAmount(live, d.name, v))}
          />
          <button type="button" onClick={() => remove(model, d.name)} className="absolute right-1 top-6 hidden text-xs text-muted hover:text-danger group-hover:block" title="Delete this direction">
            ×
          </button>
        </div>
      ))}
      <div className="mt-1 flex gap-2 text-xs">
        <button type="button" onClick={exportJson} disabled={directions.length === 0} className="rounded border border-line px-2 py-0.5 hover:bg-panel-raised disabled:opacity-40" title="Save these directions as a small JSON file">
          Export directions
        </button>
        {/* A real button, so Tab reaches it; the file input stays hidden behind it. */}
        <button type="button" onClick={() => fileInput.current?.click()} className="rounded border border-line px-2 py-0.5 hover:bg-panel-raised" title="Load directions from a JSON file">
          Import directions
        </button>
        <input ref={fileInput} type="file" accept="application/json,.json" className="hidden" tabIndex={-1} aria-hidden onChange={(e) => e.target.files?.[0] && void importJson(e.target.files[0])} data-testid="directions-file" />
      </div>
      <Message text={error} className="text-xs" />
    </section>
  );
});
