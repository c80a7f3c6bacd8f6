import { useEffect, useMemo, useState } from 'react';
import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { EmptyState } from '../../components/EmptyState';
import { JobProgress } from '../../components/JobProgress';
import { encodesImages } from '../../lib/modelKinds';
import { useAppStore } from '../../state/appStore';
import { useEditStore } from '../../state/editStore';
import { encodingKey, useLatentStore, type Encoding } from '../../state/latentStore';
import { datasetsFor, useViewDataset } from '../../state/datasetStore';
import { DatasetSelect } from '../../components/DatasetSelect';
import { noDatasetNote } from '../../lib/useDecoded';
import { SampleGrid } from '../models/SampleGrid';
import { AxesPicker, CursorPanel, HoverPreview, ImportPanel, Legend, SelectionPanel } from './ExplorePanels';
import { LatentScene } from './LatentScene';
import { benchOptions, expandEncoding } from './benchOptions';
import { useEncoding } from './useEncoding';
import { ModelSelect } from '../../components/ModelSelect';


function EncodingStatus({ model, dataset }: { model: string; dataset: string }) {
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
  if (job.progress) return <JobProgress label="Encoding the dataset" done={job.progress.done} total={job.progress.total} unit="images" onCancel={job.cancel} />;
  return null;
}

function SingleSpace({ model, dataset, encoding }: { model: string; dataset: DatasetSummary; encoding: Encoding }) {
  const labels = dataset.labels;
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

/** AE and VAE side by side: the same dataset in both spaces, and what random N(0, I) codes decode to in each. */
function CompareSpaces({ models, dataset }: { models: ModelSummary[]; dataset: DatasetSummary }) {
  const axes = useLatentStore((s) => s.axes);
  const hidden = useLatentStore((s) => s.hiddenClasses);
  const encodings = useLatentStore((s) => s.encodings);
  return (
    <div className="grid min-h-0 flex-1 grid-cols-2 gap-px bg-line">
      {models.map((m) => {
        const encoding = encodings[encodingKey(dataset.id, m.id)];
        return (
          <section key={m.id} className="flex min-h-0 flex-col bg-canvas" aria-label={m.name}>
            <header className="flex items-center justify-between px-3 py-2 text-sm">
              <span>{m.name}</span>
              <EncodingStatus model={m.id} dataset={dataset.id} />
            </header>
            <div className="min-h-0 flex-1">{encoding && <LatentScene encoding={encoding} axes={axes} hiddenClasses={hidden} markers={{ selection: [], neighbors: [], hovered: null, imported: [] }} label={`${m.name} latent space`} />}</div>
            <div className="border-t border-line p-3">
              <p className="mb-2 text-xs text-muted">
                Decoded from random N(0, I) codes. {m.kind === 'vae' ? 'The KL term pulls codes towards the prior, so random codes land on garments.' : 'Nothing ties the codes to N(0, I), so many random codes fall where no garment was encoded.'}
              </p>
              <SampleGrid model={m} />
            </div>
          </section>
        );
      })}
      <p className="sr-only">{dataset.labels.join(', ')}</p>
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
  const shown = useMemo(() => (encoding && benchOptions.synthetic ? expandEncoding(encoding, benchOptions.synthetic) : encoding), [encoding]);
  // The comparison shows the same images in both spaces: only where the dataset fits both models.
  const pair = [candidates.find((m) => m.kind === 'autoencoder'), candidates.find((m) => m.kind === 'vae')].filter((m): m is ModelSummary => !!m && !!dataset && datasetsFor([dataset], m).length > 0);

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
        {pair.length === 2 && (
          <label className="flex items-center gap-2 text-sm text-muted" title="The same dataset in the autoencoder's and the VAE's latent spaces">
            <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} />
            Compare AE and VAE
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
      ) : compare && pair.length === 2 ? (
        <CompareSpaces models={pair} dataset={dataset} />
      ) : shown ? (
        <SingleSpace model={model} dataset={dataset} encoding={shown} />
      ) : (
        <EmptyState title="Encoding the dataset">
          Each of the {dataset.count.toLocaleString('en')} images of {dataset.name} is encoded once per model; {dataset.source === 'folder' ? 'the codes are kept on disk, so the next time is instant.' : 'the codes are kept for this session.'}
        </EmptyState>
      )}
    </div>
  );
}
