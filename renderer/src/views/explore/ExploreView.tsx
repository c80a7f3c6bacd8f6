import { useEffect, useMemo, useState } from 'react';
import type { DatasetSummary } from '../../../../electron/api/contract';
import { EmptyState } from '../../components/EmptyState';
import { encodesImages } from '../../lib/modelKinds';
import { useAppStore } from '../../state/appStore';
import { useEditStore } from '../../state/editStore';
import { encodingKey, useLatentStore, type Encoding } from '../../state/latentStore';
import { datasetsFor, useViewDataset } from '../../state/datasetStore';
import { DatasetSelect } from '../../components/DatasetSelect';
import { noDatasetNote } from '../../lib/useDecoded';
import { CompareSpaces } from './CompareSpaces';
import { comparisonName, ROLES, roleOf } from './spaceRoles';
import { EncodingStatus } from './EncodingStatus';
import { AxesPicker, CursorPanel, HoverPreview, ImportPanel, Legend, SelectionPanel } from './ExplorePanels';
import { LatentScene } from './LatentScene';
import { useLabelSet } from './useLabelSet';
import { benchOptions, expandEncoding } from './benchOptions';
import { ModelSelect } from '../../components/ModelSelect';
import { formatCount } from '../../lib/formatCount';


function SingleSpace({ model, dataset, encoding, labels }: { model: string; dataset: DatasetSummary; encoding: Encoding; labels: string[] }) {
  const axes = useLatentStore((s) => s.axes);
  const hidden = useLatentStore((s) => s.hiddenClasses);
  const selection = useLatentStore((s) => s.selection);
  const neighbors = useLatentStore((s) => s.neighbors);
  const allImported = useLatentStore((s) => s.imported);
  const path = useLatentStore((s) => s.path);
  const select = useLatentStore((s) => s.select);
  const clear = useLatentStore((s) => s.clearSelection);
  const setKeyframes = useLatentStore((s) => s.setKeyframes);
  const setView = useAppStore((s) => s.setView);
  const [hovered, setHovered] = useState<number | null>(null);
  const [reset, setReset] = useState(0);
  const [cursorOn, setCursorOn] = useState(false);
  const [cursorCode, setCursorCode] = useState<Float32Array>();
  const [showDirections, setShowDirections] = useState(true);
  const allDirections = useEditStore((s) => s.directions);
  const directions = useMemo(() => (showDirections ? allDirections.filter((d) => d.model === model) : []), [allDirections, model, showDirections]);

  // The explorer projects z codes; w and w+ keyframes of a StyleGAN-style model have no place in it.
  const imported = useMemo(() => allImported.filter((i) => i.model === model && (i.space ?? 'z') === 'z'), [allImported, model]);
  const cursorBase = useMemo(() => {
    if (!cursorOn) return undefined;
    const base = new Float32Array(encoding.dim);
    if (selection.length === 0) return encoding.mean.slice();
    for (const i of selection) for (let j = 0; j < encoding.dim; j++) base[j]! += encoding.codes[i * encoding.dim + j]! / selection.length;
    return base;
  }, [cursorOn, selection, encoding]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') clear();
      if (e.key === 'r' && !(e.target instanceof HTMLInputElement)) setReset((r) => r + 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [clear]);

  const interpolate = () => {
    setKeyframes(selection.map((index) => ({ kind: 'dataset' as const, index, dataset: dataset.id })));
    setView('interpolate');
  };

  return (
    <div className="grid min-h-0 flex-1 grid-cols-[1fr_20rem]">
      <div className="relative min-h-0" data-testid="explorer-canvas">
        <LatentScene
          encoding={encoding}
          axes={axes}
          hiddenClasses={hidden}
          markers={{ selection, neighbors, hovered, imported, path: path?.model === model ? path.codes : undefined, directions }}
          onHover={setHovered}
          onPick={select}
          resetSignal={reset}
          cursorBase={cursorBase}
          onCursor={setCursorCode}
        />
        <div className="absolute left-3 top-3 flex gap-2">
          <button type="button" onClick={() => setReset((r) => r + 1)} className="rounded bg-panel/80 px-2 py-1 text-xs hover:bg-panel-raised" title="Reset the view (R)">
            Reset view
          </button>
          <button type="button" onClick={() => setCursorOn((on) => !on)} aria-pressed={cursorOn} className={`rounded px-2 py-1 text-xs ${cursorOn ? 'bg-accent text-canvas' : 'bg-panel/80 hover:bg-panel-raised'}`} title="A draggable cursor that decodes as it moves">
            Latent cursor
          </button>
          {allDirections.some((d) => d.model === model) && (
            <button type="button" onClick={() => setShowDirections((on) => !on)} aria-pressed={showDirections} className={`rounded px-2 py-1 text-xs ${showDirections ? 'bg-accent text-canvas' : 'bg-panel/80 hover:bg-panel-raised'}`} title="Show the editing directions as arrows from the mean code">
              Directions
            </button>
          )}
        </div>
        <p className="pointer-events-none absolute bottom-2 left-3 text-xs text-muted">Drag to orbit · scroll to zoom · {encoding.codes.length / encoding.dim} points</p>
        {directions.length > 0 && (
          <ul className="pointer-events-none absolute bottom-2 right-3 text-right text-xs text-[#ffe066]" aria-label="Direction arrows" data-testid="direction-arrows">
            {directions.map((d) => (
              <li key={d.name}>→ {d.name}</li>
            ))}
          </ul>
        )}
      </div>
      <aside className="flex min-h-0 flex-col gap-4 overflow-auto border-l border-line bg-panel p-3">
        <HoverPreview model={model} dataset={dataset} encoding={encoding} index={hovered} labels={labels} />
        <SelectionPanel model={model} dataset={dataset} encoding={encoding} labels={labels} onInterpolate={interpolate} />
        {cursorOn && <CursorPanel model={model} code={cursorCode} />}
        <AxesPicker encoding={encoding} />
        <Legend labels={labels} />
        <ImportPanel model={model} />
      </aside>
    </div>
  );
}

export function ExploreView() {
  const models = useAppStore((s) => s.models);
  const setView = useAppStore((s) => s.setView);
  const candidates = models.filter(encodesImages);
  const chosen = useLatentStore((s) => s.model);
  const setModel = useLatentStore((s) => s.setModel);
  const setDataset = useLatentStore((s) => s.setDataset);
  const model = chosen && candidates.some((m) => m.id === chosen) ? chosen : (candidates.find((m) => m.kind === 'vae') ?? candidates[0])?.id;
  const summary = candidates.find((m) => m.id === model);
  const { dataset, options } = useViewDataset('explore', summary);
  const encoding = useLatentStore((s) => (model && dataset ? s.encodings[encodingKey(dataset.id, model)] : undefined));
  const [compare, setCompare] = useState(false);
  const labelSet = useLabelSet(dataset, encoding);
  const relabelled = labelSet.encoding;
  const shown = useMemo(() => (relabelled && benchOptions.synthetic ? expandEncoding(relabelled, benchOptions.synthetic) : relabelled), [relabelled]);
  // The comparison shows the same images in each space: one model of each role (PCA, AE, VAE) that the dataset fits.
  const fitting = candidates.filter((m) => !!dataset && datasetsFor([dataset], m).length > 0);
  const trio = ROLES.flatMap((role) => fitting.find((m) => roleOf(m) === role) ?? []);
  // Offered where an AE and a VAE fit: PCA, the third, can be made from the comparison itself.
  const canCompare = trio.some((m) => roleOf(m) === 'autoencoder') && trio.some((m) => roleOf(m) === 'vae');
  // PCA is made at the other two's latent size, so the three keep the same number of numbers per image.
  const pcaComponents = Math.min(64, Math.max(2, trio.find((m) => roleOf(m) === 'vae')?.latent?.shape.reduce((a, b) => a * b, 1) ?? 16));

  useEffect(() => {
    if (model && model !== chosen) setModel(model);
  }, [model, chosen, setModel]);
  useEffect(() => {
    if (dataset) setDataset(dataset.id);
  }, [dataset, setDataset]);

  if (!model) return <EmptyState title="No model can encode images">Add a VAE, an autoencoder or a GAN with an encoder in the Models view.</EmptyState>;
  return (
    <div className="flex h-full flex-col">
      <div className="flex flex-wrap items-center gap-4 border-b border-line bg-panel px-4 py-2">
        <label className="flex items-center gap-2 text-sm text-muted">
          Model
          <ModelSelect models={candidates} value={model} onChange={setModel} disabled={compare} />
        </label>
        <DatasetSelect view="explore" dataset={dataset} options={options} />
        {canCompare && (
          <label className="flex items-center gap-2 text-sm text-muted" title="The same dataset in PCA's, the autoencoder's and the VAE's latent spaces, with reconstructions and random samples from each">
            <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} />
            {comparisonName(['pca', 'autoencoder', 'vae'])}
          </label>
        )}
        {!compare && labelSet.sets.length > 1 && (
          <label className="flex items-center gap-2 text-sm text-muted" title="Which of the dataset's labels the points are coloured by">
            Colour by
            <select value={labelSet.set} onChange={(e) => labelSet.choose(Number(e.target.value))} aria-label="Colour by" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink">
              {labelSet.sets.map((s, i) => (
                <option key={s.name} value={i}>
                  {s.name} ({s.labels.length})
                </option>
              ))}
            </select>
          </label>
        )}
        {!compare && dataset && <EncodingStatus model={model} dataset={dataset.id} />}
      </div>
      {!dataset ? (
        <EmptyState title="No dataset for this model">
          {noDatasetNote(summary!)}{' '}
          <button type="button" onClick={() => setView('models')} className="text-accent underline">
            Open a folder in Models
          </button>
        </EmptyState>
      ) : compare && canCompare ? (
        <CompareSpaces models={trio} dataset={dataset} pcaComponents={pcaComponents} />
      ) : shown ? (
        <SingleSpace model={model} dataset={dataset} encoding={shown} labels={labelSet.labels} />
      ) : (
        <EmptyState title="Encoding the dataset">
          Each of the {formatCount(dataset.count)} images of {dataset.name} is encoded once per model; {dataset.source === 'folder' ? 'the codes are kept on disk, so the next time is instant.' : 'the codes are kept for this session.'}
        </EmptyState>
      )}
    </div>
  );
}
