import { memo, useEffect, useMemo, useState } from 'react';
import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../../../electron/api/tensor';
import { applyEdits, norm, type Edit } from '../../../../electron/common/vectors';
import { EmptyState } from '../../components/EmptyState';
import { ImageTile } from '../../components/ImageTile';
import { downloadBytes } from '../../lib/download';
import { asUnitFloats, codeOfDecoded, usePreview } from '../../lib/useDecoded';
import { classifierFor, decodesCodes, noClassifierNote } from '../../lib/modelKinds';
import { useAppStore } from '../../state/appStore';
import { useEditStore, type EditBase } from '../../state/editStore';
import { broadcastW, codesTensor, type CodeSpace } from '../../lib/codeSpace';
import { useProjectStore } from '../../state/projectSync';
import { BasePicker } from './BasePicker';
import { DirectionSliders } from './DirectionSliders';
import { NewDirection } from './NewDirection';
import { BatchApply } from './BatchApply';
import { useViewDataset } from '../../state/datasetStore';
import { DatasetSelect } from '../../components/DatasetSelect';
import { frameOf, sweepIndex } from './sweep';
import { useSweep, type Sweep } from './useSweep';
import { useNearFrames } from './useNearFrames';
import { useViewState } from '../../state/viewState';
import { useBoxSize } from '../../lib/useBoxSize';
import { ExportScale, useExportScale } from '../../components/ExportScale';


/** The attribute classifier's reading of an image, for seeing what an edit does. */
const READOUT_CLASSES = 10;

function ClassifierReadout({ image, model }: { image?: Float32Tensor | Uint8Tensor; model: ModelSummary }) {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models);
  const classifier = classifierFor(models, model);
  const [probabilities, setProbabilities] = useState<{ labels: string[]; values: Float32Array }>();
  useEffect(() => {
    if (!client || !classifier || !image) return;
    let current = true;
    client.invoke('model.classify', { model: classifier.id, images: asUnitFloats(image) }).then((r) => current && setProbabilities({ labels: r.labels, values: r.probabilities.data }), console.error);
    return () => {
      current = false;
    };
  }, [client, classifier, image]);
  if (!classifier)
    return (
      <p className="text-xs text-muted" data-testid="no-classifier">
        {noClassifierNote(model)}
      </p>
    );
  if (!probabilities) return null;
  const order = Array.from(probabilities.values.keys()).sort((a, b) => probabilities.values[b]! - probabilities.values[a]!);
  // A classifier of many classes (the emoji one names 36 design-system · category pairs) shows its most likely ten.
  const shown = order.slice(0, READOUT_CLASSES);
  const wide = probabilities.labels.some((l) => l.length > 12);
  return (
    <ul className="w-full text-xs" data-testid="class-probabilities" aria-label="Classifier probabilities">
      {shown.map((k) => (
        <li key={k} className="flex items-center gap-2" data-class={probabilities.labels[k]} data-probability={probabilities.values[k]!.toFixed(4)}>
          <span className={`${wide ? 'w-32' : 'w-20'} shrink-0 truncate text-muted`} title={probabilities.labels[k]}>
            {probabilities.labels[k]}
          </span>
          <span className="h-1.5 flex-1 rounded bg-panel-raised">
            <span className="block h-full rounded bg-accent" style={{ width: `${probabilities.values[k]! * 100}%` }} />
          </span>
          <span className="w-9 shrink-0 text-right tabular-nums">{Math.round(probabilities.values[k]! * 100)}%</span>
        </li>
      ))}
      {order.length > shown.length && <li className="text-muted">and {order.length - shown.length} less likely classes</li>}
    </ul>
  );
}

/** How unusual the edited code is next to the dataset's own codes; far out, decodes stop looking like the data. */
function Typicality({ model, dataset, code }: { model: ModelSummary; dataset?: DatasetSummary; code: Float32Array }) {
  const client = useAppStore((s) => s.client);
  const [reading, setReading] = useState<{ distance: number; percentile: number; median: number }>();
  useEffect(() => {
    if (!client || !dataset) return setReading(undefined);
    let current = true;
    client.invoke('latent.typicality', { model: model.id, dataset: dataset.id, code: float32Tensor([1, code.length], code), lane: 'typicality' }).then((r) => current && setReading(r), () => {});
    return () => {
      current = false;
    };
  }, [client, model.id, dataset, code]);
  if (!reading) return null;
  const length = norm(code);
  const prior = model.latent?.prior === 'standard-normal';
  // A GAN's generator was trained on N(0, I), and its dataset codes come from an encoder that is only a warm start:
  // they huddle inside the prior's shell (fmnist-dcgan: median length 4.9 against 8.0), so 98.5% of the generator's
  // own samples read as further than 99.5% of them. There the warning follows the prior's shell (4 × its 0.71 spread);
  // elsewhere the dataset's own codes, since a VAE's encoded images sit well away from N(0, I) already.
  const byPrior = prior && model.kind === 'gan';
  const offPrior = byPrior && Math.abs(length - Math.sqrt(code.length)) > 4 * 0.71;
  const offData = !byPrior && reading.percentile > 99.5;
  const warning = ' · off-manifold: results may stop looking like the data';
  return (
    <div className="max-w-72 text-xs">
      {prior && (
        <p className={offPrior ? 'text-danger' : 'text-muted'} data-testid="prior-distance" title="A d-dimensional N(0, I) code has length about √d ± 0.71">
          From the prior: ‖z‖ = {length.toFixed(2)} (a prior sample is about {Math.sqrt(code.length).toFixed(2)} ± 0.71)
          {offPrior ? warning : ''}
        </p>
      )}
      <p className={offData ? 'text-danger' : 'text-muted'} data-testid="typicality" title="Mahalanobis distance under the covariance of the dataset's codes">
        From the data: {reading.distance.toFixed(1)} (dataset median {reading.median.toFixed(1)}; further than {reading.percentile.toFixed(1)}% of dataset images)
        {offData ? warning : ''}
      </p>
    </div>
  );
}

/**
 * Nine evenly spaced frames of the focused direction's sweep, shown as they arrive; an older sweep stays up while a new one
 * decodes. Frames not yet decoded are still tiles: a pulsing one redraws every frame, 65 ms of CPU a second in Chromium's
 * software compositor, taken from the decodes it waits for while a slider holds the strip back.
 */
const EditStrip = memo(function EditStrip({ sweep }: { sweep: Sweep }) {
  const { direction, range, stripAmounts, strip } = sweep;
  const [row, { width }] = useBoxSize<HTMLDivElement>();
  // Nine frames share the row's width (4 px gaps), between 24 and 96 px each.
  const frame = Math.max(24, Math.min(96, Math.floor((width - 8 * 4) / 9)));
  const state = sweep.grid ? 'complete' : strip.length < stripAmounts.length ? 'partial' : 'strip';
  return (
    <section aria-label="Sweep">
      <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted">“{direction}” from −{range} to +{range}</h3>
      <div ref={row} className="flex gap-1 overflow-x-auto" data-testid="edit-strip" data-sweep={state}>
        {width > 0 &&
          stripAmounts.map((amount, k) => {
            const label = `${amount >= 0 ? '+' : ''}${amount.toFixed(1)}`;
            const image = strip[k];
            if (image) return <ImageTile key={k} data={image.data} shape={image.shape} size={frame} label={label} />;
            return (
              <figure key={k} className="m-0 flex flex-col items-center gap-1" aria-hidden>
                <div className="rounded-sm bg-panel-raised" style={{ width: frame, height: frame }} />
                <figcaption className="text-xs text-muted">{label}</figcaption>
              </figure>
            );
          })}
      </div>
    </section>
  );
});

/**
 * The space a StyleGAN-style model's code is edited in. z maps to w (the mapping network) and w
 * spreads to w+ (a w per layer), so an edit can move on to a finer space; not back, since w+ → w
 * and w → z have no inverse. Moving on starts a new stack: directions belong to one space.
 */
function SpaceSelect({ model, base }: { model: ModelSummary; base: EditBase }) {
  const client = useAppStore((s) => s.client);
  const setBase = useEditStore((s) => s.setBase);
  const current: CodeSpace = base.space ?? 'z';
  const order: CodeSpace[] = ['z', 'w', 'w+'];
  const [error, setError] = useState<string>();
  async function move(to: CodeSpace) {
    if (!client || to === current) return;
    setError(undefined);
    try {
      const w = current === 'z' ? (await client.invoke('model.map', { model: model.id, z: float32Tensor([1, base.code.length], base.code) })).w.data : base.code;
      const code = to === 'w' ? w : broadcastW(w, model.style!.numWs);
      setBase({ ...base, code, space: to, label: `${base.label.replace(/ · in w\+?$/, '')} · in ${to}` });
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <label className="flex items-center gap-2 text-sm text-muted" title="z: the prior's code; w: one style for every layer; w+: a style per layer. Edits move on from z to w to w+, each with its own directions.">
      Space
      <select value={current} onChange={(e) => void move(e.target.value as CodeSpace)} aria-label="Edit space" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink">
        {order.map((s) => (
          <option key={s} value={s} disabled={order.indexOf(s) < order.indexOf(current)}>
            {s}
          </option>
        ))}
      </select>
      {error && <span className="text-danger">{error}</span>}
    </label>
  );
}

export function EditView() {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models).filter(decodesCodes);
  const base = useEditStore((s) => s.base);
  const history = useEditStore((s) => s.history);
  const commit = useEditStore((s) => s.commit);
  const undo = useEditStore((s) => s.undo);
  const redo = useEditStore((s) => s.redo);
  const range = useEditStore((s) => s.range);
  const allDirections = useEditStore((s) => s.directions);
  const opened = useProjectStore((s) => s.opened);
  const [chosenModel, setChosenModel] = useViewState<string | undefined>('edit.chosenModel', undefined);
  const modelId = base?.model ?? chosenModel ?? (models.find((m) => m.kind === 'vae') ?? models[0])?.id;
  const model = models.find((m) => m.id === modelId);
  const { dataset, options: datasetOptions } = useViewDataset('edit', model);
  const [live, setLive] = useState<Edit[]>(history.present);
  const [focused, setFocused] = useState<string>();
  const [showBefore, setShowBefore] = useState(false);
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();
  useEffect(() => setMessage(undefined), [opened]);
  const [imageBox, box] = useBoxSize<HTMLDivElement>();
  // The longest side that fits the box with its caption; never wider than the view.
  const side = Math.max(0, Math.min(box.width, box.height - 20));
  const { scaleFor, smooth } = useExportScale();

  useEffect(() => setLive(history.present), [history.present]);
  const space: CodeSpace = base?.space ?? 'z';
  const vectors = useMemo(() => new Map(allDirections.filter((d) => d.model === modelId && (d.space ?? 'z') === space).map((d) => [d.name, d.vector])), [allDirections, modelId, space]);
  const code = useMemo(() => (base ? applyEdits(base.code, live, vectors) : undefined), [base, live, vectors]);
  const focusedDirection = focused && vectors.has(focused) ? focused : [...vectors.keys()][0];
  const { sweep, current: sweepCurrent } = useSweep(modelId, base?.code, live, focusedDirection, range, vectors, space);
  const focusedAmount = live.find((e) => e.direction === focusedDirection)?.amount ?? 0;
  const nearFrames = useNearFrames(modelId, sweepCurrent ? sweep : undefined, focusedAmount);
  // Moving the focused slider to an amount already decoded (the whole grid where it is cheap, else the strip's frames
  // and those near the thumb) paints that frame at once; other amounts and other changes wait for a decode.
  const sweepFrame = useMemo(() => {
    const k = sweep && sweepCurrent ? sweepIndex(focusedAmount, range) : undefined;
    if (k === undefined) return undefined;
    if (sweep!.grid) return frameOf(sweep!.grid.images, k);
    return nearFrames?.get(k) ?? sweep!.strip[sweep!.stripAmounts.findIndex((a) => sweepIndex(a, range) === k)];
  }, [sweep, sweepCurrent, focusedAmount, range, nearFrames]);
  // The edited picture is only shown (and read back by the readout and the export): 8-bit planes, a quarter of the bytes.
  const edited = usePreview(modelId, code, 'edit', sweepFrame, space);
  const original = usePreview(modelId, base?.code, 'edit-base', undefined, space);
  // The readouts describe the image on screen and ask once it is there, so during a drag they follow the
  // decodes instead of going ahead of each one on the engine.
  const editedCode = edited && edited === sweepFrame ? code : codeOfDecoded(edited);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        redo();
      } else if (e.key === 'b' && !mod) setShowBefore(true);
    };
    const onUp = (e: KeyboardEvent) => e.key === 'b' && setShowBefore(false);
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onUp);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onUp);
    };
  }, [undo, redo]);

  const metadataFor = (latent: Float32Array, stack: Edit[]) => ({
    model: modelId!,
    latent: { shape: codesTensor(model, space, latent, 1).shape, data: Array.from(latent) },
    ...(space === 'z' ? {} : { space }),
    edits: stack.filter((e) => e.amount !== 0).map((e) => ({ ...e, vector: Array.from(vectors.get(e.direction) ?? []) })),
  });

  async function exportPng() {
    if (!client || !edited || !base) return;
    try {
      const { png } = await client.invoke('image.exportPng', { image: asUnitFloats(edited), scale: scaleFor(edited.shape.slice(2)), smooth, metadata: metadataFor(base.code, live), original: base.image });
      downloadBytes(png, `edit-${modelId}.png`, 'image/png');
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    }
  }

  if (!model) return <EmptyState title="No model can decode codes">Add a VAE, an autoencoder or a GAN in the Models view.</EmptyState>;
  const shown = showBefore ? original : edited;
  return (
    <div className="grid h-full grid-cols-[1fr_18rem] xl:grid-cols-[1fr_22rem]">
      {/* The picture takes the space left by the header, toolbar and sweep, so every part stays on screen from 1024×640 up. */}
      <div className="flex min-h-0 min-w-0 flex-col gap-3 overflow-auto p-4 xl:p-6">
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
          <h2 className="text-lg font-medium">Edit</h2>
          <select value={modelId} onChange={(e) => setChosenModel(e.target.value)} disabled={!!base} aria-label="Model" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm" title={base ? 'Start from a new image to change the model' : 'The model to edit in'}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
          <DatasetSelect view="edit" dataset={dataset} options={datasetOptions} />
          {model?.style && base && <SpaceSelect model={model} base={base} />}
          {base && <span className="text-sm text-muted" data-testid="edit-base">{base.label}</span>}
        </div>
        {!base ? (
          <EmptyState title="Pick an image to edit">Choose a dataset image, the explorer's selection, a random sample, or drop your own image on the right.</EmptyState>
        ) : (
          <>
            <div className="flex min-h-0 flex-1 gap-4">
              <div className="flex min-w-0 flex-1 flex-col gap-3">
                <div ref={imageBox} className="flex min-h-40 flex-1 items-center justify-center" data-testid="edit-image">
                  {shown && side > 0 && <ImageTile data={shown.data} shape={shown.shape} size={side} label={showBefore ? 'Before' : 'After'} />}
                </div>
                <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label="Edit actions">
                  <button type="button" onPointerDown={() => setShowBefore(true)} onPointerUp={() => setShowBefore(false)} onPointerLeave={() => setShowBefore(false)} className="whitespace-nowrap rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised" title="Hold to see the image before the edits (B)">
                    Hold for before
                  </button>
                  <button type="button" onClick={undo} disabled={history.past.length === 0} className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised disabled:opacity-40" title="Undo (Ctrl+Z)">
                    Undo
                  </button>
                  <button type="button" onClick={redo} disabled={history.future.length === 0} className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised disabled:opacity-40" title="Redo (Ctrl+Shift+Z)">
                    Redo
                  </button>
                  <span className="ml-auto flex min-w-0 flex-wrap items-center gap-2">
                    <ExportScale size={edited?.shape.slice(2)} />
                    <button type="button" onClick={() => void exportPng()} className="whitespace-nowrap rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised" title="PNG at the chosen scale, with the model, base code, edit stack and original image embedded">
                      Export PNG
                    </button>
                  </span>
                </div>
                {focusedDirection && sweep && <EditStrip sweep={sweep} />}
                {space === 'z' ? (
                  <BatchApply model={model.id} dataset={dataset} stack={live} vectors={vectors} scale={scaleFor([model.image.height, model.image.width])} smooth={smooth} />
                ) : (
                  <p className="text-xs text-muted">Applying a stack to many images encodes each image to a z code, so it is offered for edits in z.</p>
                )}
                {message && (
                  <p role={message.error ? 'alert' : 'status'} className={`text-sm ${message.error ? 'text-danger' : 'text-muted'}`}>
                    {message.text}
                  </p>
                )}
              </div>
              <div className="flex w-52 shrink-0 flex-col gap-3 overflow-y-auto xl:w-60" data-testid="edit-readouts">
                {base.image && <ImageTile data={base.image.data} shape={base.image.shape} size={64} label="Original input" />}
                <ClassifierReadout image={shown} model={model} />
                {editedCode && space === 'z' && <Typicality model={model} dataset={dataset} code={editedCode} />}
                <p className="text-xs text-muted" data-testid="edit-stack">
                  Stack: {history.present.filter((e) => e.amount !== 0).map((e) => `${e.direction} ${e.amount >= 0 ? '+' : ''}${e.amount.toFixed(2)}`).join(' · ') || 'no edits'}
                </p>
              </div>
            </div>
          </>
        )}
      </div>
      <aside className="flex min-h-0 flex-col gap-4 overflow-auto border-l border-line bg-panel p-3">
        <BasePicker model={model} dataset={dataset} />
        <DirectionSliders model={model.id} space={space} live={live} onLive={setLive} onCommit={commit} focused={focusedDirection} onFocus={setFocused} />
        <NewDirection key={opened} model={model} space={space} dataset={dataset} code={code} at={base?.label} />
      </aside>
    </div>
  );
}
