import { useEffect, useState } from 'react';
import { float32Tensor } from '../../../../electron/api/tensor';
import { ImageDropZone } from '../../components/ImageDropZone';
import { ImageTile } from '../../components/ImageTile';
import { datasetImageShape, useDatasetImage, usePreview } from '../../lib/useDecoded';
import { useBoxSize } from '../../lib/useBoxSize';
import type { DatasetSummary } from '../../../../electron/api/contract';
import { useAppStore } from '../../state/appStore';
import { classColor } from '../../lib/classColor';
import { useLatentStore, type Encoding } from '../../state/latentStore';
import { Message } from '../../components/Message';

const codeOf = (encoding: Encoding, index: number) => encoding.codes.subarray(index * encoding.dim, (index + 1) * encoding.dim);

export function AxesPicker({ encoding }: { encoding: Encoding }) {
  const axes = useLatentStore((s) => s.axes);
  const setAxis = useLatentStore((s) => s.setAxis);
  return (
    <section aria-label="Axes">
      <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted">Axes (principal components)</h3>
      {(['x', 'y', 'z'] as const).map((name, slot) => (
        <label key={name} className="flex items-center gap-2 py-0.5 text-sm">
          <span className="w-3 text-muted">{name}</span>
          <select
            value={axes[slot]}
            onChange={(e) => setAxis(slot as 0 | 1 | 2, Number(e.target.value))}
            className="flex-1 rounded border border-line bg-panel-raised px-1 py-0.5"
            aria-label={`${name} axis`}
          >
            {encoding.explained.map((share, c) => (
              <option key={c} value={c}>
                PC{c + 1} · {(share * 100).toFixed(1)}% of variance
              </option>
            ))}
          </select>
        </label>
      ))}
      <p className="mt-1 text-xs text-muted">Shown: {(axes.reduce((sum, a) => sum + (encoding.explained[a] ?? 0), 0) * 100).toFixed(1)}% of the variance</p>
    </section>
  );
}

export function Legend({ labels }: { labels: string[] }) {
  const hidden = useLatentStore((s) => s.hiddenClasses);
  const toggle = useLatentStore((s) => s.toggleClass);
  const showOnly = useLatentStore((s) => s.showOnly);
  return (
    <section aria-label="Classes">
      <div className="mb-1 flex items-center justify-between">
        <h3 className="text-xs font-medium uppercase tracking-wide text-muted">Classes</h3>
        <select className="rounded border border-line bg-panel-raised px-1 py-0.5 text-xs" aria-label="Filter by class" value="" onChange={(e) => showOnly(e.target.value === 'all' ? null : Number(e.target.value), labels.length)}>
          <option value="" disabled>
            Filter…
          </option>
          <option value="all">Show all</option>
          {labels.map((l, i) => (
            <option key={l} value={i}>
              Only {l}
            </option>
          ))}
        </select>
      </div>
      <ul className="grid grid-cols-2 gap-x-2 text-sm">
        {labels.map((label, i) => (
          <li key={label}>
            <button type="button" onClick={() => toggle(i)} className={`flex w-full items-center gap-2 rounded px-1 py-0.5 text-left hover:bg-panel-raised ${hidden.includes(i) ? 'opacity-40' : ''}`} aria-pressed={!hidden.includes(i)} title={`Show or hide ${label}`}>
              <span className="inline-block h-2.5 w-2.5 rounded-full" style={{ background: classColor(i) }} />
              {label}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The hovered point's image and decode. Once the pointer leaves the points, the last one stays (dimmed): the panels
 * below would otherwise jump up under a pointer on its way to them.
 */
export function HoverPreview({ model, dataset, encoding, index, labels }: { model: string; dataset: DatasetSummary; encoding: Encoding; index: number | null; labels: string[] }) {
  const [last, setLast] = useState<{ encoding: Encoding; index: number }>();
  useEffect(() => {
    if (index !== null) setLast({ encoding, index });
  }, [encoding, index]);
  const live = index !== null;
  // Two tiles side by side fill the panel's width at most (half the row less the gap): 3× a 28 px image, less for a 64 px one.
  const [row, { width }] = useBoxSize<HTMLDivElement>();
  const half = width > 0 ? Math.max(32, Math.floor((width - 12) / 2)) : undefined;
  const shown = live ? index : last?.encoding === encoding ? last.index : null;
  const original = useDatasetImage(dataset.id, shown);
  const shape = datasetImageShape(dataset);
  const code = shown === null ? undefined : codeOf(encoding, shown);
  const reconstruction = usePreview(model, code, 'hover');
  if (shown === null) return <p className="text-sm text-muted">Hover a point to see its image; click to select it, shift-click to add to the selection.</p>;
  return (
    <section aria-label={live ? 'Hovered image' : 'Last hovered image'} data-testid="hover-preview" data-live={live} className={live ? '' : 'opacity-60'}>
      <p className="mb-1 text-sm">
        #{shown} · {labels[encoding.labels[shown]!]}
        {!live && <span className="text-muted"> (last hovered)</span>}
      </p>
      <div ref={row} className="flex gap-3">
        {original && shape && <ImageTile data={original} shape={shape} zoom={3} maxSize={half} label="Original" />}
        {reconstruction && <ImageTile data={reconstruction.data} shape={reconstruction.shape} zoom={3} maxSize={half} label="Decoded" />}
      </div>
    </section>
  );
}

function Thumbnail({ dataset, index, labels, encoding }: { dataset: DatasetSummary; index: number; labels: string[]; encoding: Encoding }) {
  const image = useDatasetImage(dataset.id, index);
  const shape = datasetImageShape(dataset);
  // 2× a 28 px image; larger images are shown at 64 px, so a row holds several.
  return image && shape ? <ImageTile data={image} shape={shape} zoom={2} maxSize={64} label={`#${index} ${labels[encoding.labels[index]!]}`} /> : null;
}

export function SelectionPanel({ model, dataset, encoding, labels, onInterpolate }: { model: string; dataset: DatasetSummary; encoding: Encoding; labels: string[]; onInterpolate(): void }) {
  const client = useAppStore((s) => s.client);
  const selection = useLatentStore((s) => s.selection);
  const neighbors = useLatentStore((s) => s.neighbors);
  const setNeighbors = useLatentStore((s) => s.setNeighbors);
  const clear = useLatentStore((s) => s.clearSelection);
  const [error, setError] = useState<string>();
  if (selection.length === 0) return null;

  async function findNeighbors() {
    if (!client) return;
    setError(undefined);
    const query = new Float32Array(encoding.dim);
    for (const index of selection) codeOf(encoding, index).forEach((v, j) => (query[j]! += v / selection.length));
    try {
      const result = await client.invoke('latent.neighbors', { model, dataset: dataset.id, query: float32Tensor([1, encoding.dim], query), k: 10, exclude: selection });
      setNeighbors(result.indices);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section aria-label="Selection" data-testid="selection">
      <div className="mb-1 flex items-center justify-between">
        <h3 className="text-xs font-medium uppercase tracking-wide text-muted">Selection ({selection.length})</h3>
        <button type="button" onClick={clear} className="text-xs text-muted hover:text-ink" title="Clear the selection (Esc)">
          Clear
        </button>
      </div>
      <div className="flex flex-wrap gap-2">
        {selection.slice(0, 8).map((i) => (
          <Thumbnail key={i} dataset={dataset} index={i} labels={labels} encoding={encoding} />
        ))}
      </div>
      <div className="mt-2 flex flex-wrap gap-2">
        <button type="button" onClick={() => void findNeighbors()} className="rounded border border-line px-2 py-1 text-xs hover:bg-panel-raised" title="The 10 closest codes in the full latent space (not the projection)">
          Nearest neighbours
        </button>
        <button type="button" onClick={onInterpolate} disabled={selection.length < 2} className="rounded bg-accent px-2 py-1 text-xs font-medium text-canvas disabled:opacity-40" title="Interpolate between the selected images (select two or more)">
          Interpolate
        </button>
      </div>
      {neighbors.length > 0 && (
        <div className="mt-2" data-testid="neighbors">
          <p className="mb-1 text-xs text-muted">Nearest in latent space</p>
          <div className="flex flex-wrap gap-1">
            {neighbors.map((i) => (
              <Thumbnail key={i} dataset={dataset} index={i} labels={labels} encoding={encoding} />
            ))}
          </div>
        </div>
      )}
      <Message text={error} className="mt-1 text-xs" />
    </section>
  );
}

export function CursorPanel({ model, code }: { model: string; code?: Float32Array }) {
  const image = usePreview(model, code, 'cursor');
  return (
    <section aria-label="Latent cursor" data-testid="cursor">
      <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted">Latent cursor</h3>
      <p className="mb-2 text-xs text-muted">Drag the white handle: its position sets the three shown components around the selection's code.</p>
      {image ? <ImageTile data={image.data} shape={image.shape} zoom={4} label="At the cursor" /> : <p className="text-xs text-muted">Move the cursor to decode.</p>}
    </section>
  );
}

export function ImportPanel({ model }: { model: string }) {
  const client = useAppStore((s) => s.client);
  const add = useLatentStore((s) => s.addImported);
  const all = useLatentStore((s) => s.imported);
  const imported = all.filter((i) => i.model === model);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function importFile(file: File) {
    if (!client) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await client.invoke('image.import', { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name, model, fit: 'crop' });
      const { mean } = await client.invoke('model.encode', { model, images: result.modelInput });
      add({ id: `${file.name}-${Date.now()}`, name: file.name, model, code: mean.data, image: result.modelInput });
      return result;
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-label="Your images">
      <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted">Your images</h3>
      <ImageDropZone onFile={importFile} busy={busy} />
      <Message text={error} className="mt-1 text-xs" />
      {imported.length > 0 && (
        <div className="mt-2 flex flex-wrap gap-2">
          {imported.map((item) => (
            <ImageTile key={item.id} data={item.image.data} shape={item.image.shape} zoom={2} label={item.name} />
          ))}
        </div>
      )}
    </section>
  );
}
