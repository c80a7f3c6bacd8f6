import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { CallResult } from '../../../../electron/api/contract';
import { ApiError } from '../../../../electron/api/errors';
import { float32Tensor, unitTensor } from '../../../../electron/api/tensor';
import { EmptyState } from '../../components/EmptyState';
import { ImageDropZone } from '../../components/ImageDropZone';
import { ImageTile } from '../../components/ImageTile';
import { framesWithRun } from '../../lib/images';
import { downloadBytes } from '../../lib/download';
import { datasetImageShape, noDatasetNote, useDatasetImage, usePreview } from '../../lib/useDecoded';
import { BUNDLED_DATASET, useDatasetStore, useViewDataset } from '../../state/datasetStore';
import { DatasetSelect } from '../../components/DatasetSelect';
import { broadcastW, codesTensor, type CodeSpace } from '../../lib/codeSpace';
import { randomNormal } from '../../../../electron/common/random';
import { useResultsStore } from '../../state/inversionStore';
import { useAppStore } from '../../state/appStore';
import { useLatentStore, type Keyframe } from '../../state/latentStore';
import { decodesCodes, encodesImages } from '../../lib/modelKinds';
import { AnimationPlayer } from './AnimationPlayer';
import { Message } from '../../components/Message';
import { JobProgress } from '../../components/JobProgress';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';
import { ExportScale, useExportScale } from '../../components/ExportScale';
import { ModelSelect } from '../../components/ModelSelect';
import { useBoxSize } from '../../lib/useBoxSize';
import { datasetImageKey, keyframeKey, keyframeMisfit } from './keyframeFit';

const SPACES: CodeSpace[] = ['z', 'w', 'w+'];

/** A strip and the model it was decoded by: another model's is not shown while this one's is on its way. */
type Strip = CallResult<'latent.interpolate'> & { model: string };

/** A strip still decoding after this long shows its progress and a Cancel (at 28 px it is back long before). */
const PROGRESS_AFTER_MS = 300;

/** How the ids of prior samples added as keyframes begin. */
const SAMPLE_ID = 'sample-';

/** The longer side of a keyframe's thumbnail, CSS px, at most. */
const KEYFRAME_SIZE = 96;

function DecodedKeyframe({ model, code, index }: { model: string; code: Float32Array; index: number }) {
  const image = usePreview(model, code, `keyframe-${index}`);
  return image ? <ImageTile data={image.data} shape={image.shape} zoom={2} maxSize={KEYFRAME_SIZE} label="decoded" /> : null;
}

function KeyframeThumb({ keyframe }: { keyframe: Keyframe }) {
  const imported = useLatentStore((s) => (keyframe.kind === 'imported' ? s.imported.find((i) => i.id === keyframe.id) : undefined));
  const datasetId = keyframe.kind === 'dataset' ? (keyframe.dataset ?? BUNDLED_DATASET) : undefined;
  const from = useDatasetStore((s) => s.datasets.find((d) => d.id === datasetId));
  const image = useDatasetImage(datasetId, keyframe.kind === 'dataset' ? keyframe.index : null);
  // A 28 px image at 2×, a 256 px one no larger than a 28 px one is: keyframes are a row of thumbnails.
  if (imported) return <ImageTile data={imported.image.data} shape={imported.image.shape} zoom={2} maxSize={KEYFRAME_SIZE} label={imported.name} />;
  const shape = datasetImageShape(from);
  if (image && shape) return <ImageTile data={image} shape={shape} zoom={2} maxSize={KEYFRAME_SIZE} label={keyframe.kind === 'dataset' ? `#${keyframe.index}` : ''} />;
  // A dataset since removed (or not read yet): its number still says which image it was.
  return keyframe.kind === 'dataset' ? <span className="text-xs text-muted">#{keyframe.index}</span> : null;
}

/** A strip frame's largest side: a row of `frames` fits the strip's width (a 64 px model's ten frames, not 192 px each). */
function stripFit(frames: number, width: number): number | undefined {
  return width > 0 ? Math.max(24, Math.floor((width - (frames - 1) * 4) / frames)) : undefined;
}

export function InterpolateView() {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models);
  const storedModel = useLatentStore((s) => s.model);
  // Any model that decodes codes interpolates: Explore's model by default, or one chosen here (a GAN needs no encoder).
  const [chosenModel, setChosenModel] = useViewState<string | undefined>('interpolate.model', undefined);
  const candidates = models.filter(decodesCodes);
  const model = [chosenModel, storedModel].find((id) => id && candidates.some((m) => m.id === id)) ?? (models.filter(encodesImages).find((m) => m.kind === 'vae') ?? candidates[0])?.id;
  const summary = models.find((m) => m.id === model);
  const canEncode = !!summary && encodesImages(summary);
  const { dataset, options } = useViewDataset('interpolate', summary);
  const mismatch = summary && !dataset ? noDatasetNote(summary) : undefined;
  const [sampleSeed, setSampleSeed] = useViewState('interpolate.sampleSeed', 1);
  // A StyleGAN-style model interpolates in z, w or w+; keyframes move on to finer spaces (z → w → w+), never back.
  const [chosenSpace, setSpace] = useViewState<CodeSpace>('interpolate.space', 'z');
  const space: CodeSpace = summary?.style ? chosenSpace : 'z';
  const savedInversions = useResultsStore((s) => s.inversions).filter((i) => i.model === model && SPACES.indexOf(i.space ?? 'z') <= SPACES.indexOf(space));
  const keyframes = useLatentStore((s) => s.keyframes);
  const setKeyframes = useLatentStore((s) => s.setKeyframes);
  const imported = useLatentStore((s) => s.imported);
  const datasets = useDatasetStore((s) => s.datasets);
  // Appended to the keyframes as they are when it lands: a sample or an image added while another is still decoding keeps both.
  const appendKeyframe = (keyframe: Keyframe) => setKeyframes([...useLatentStore.getState().keyframes, keyframe]);
  // Why each keyframe cannot be used with this model (made with another one, or from a dataset it cannot read), if so.
  const misfits = useMemo(() => keyframes.map((k) => (summary ? keyframeMisfit(k, summary, datasets, imported, models) : 'no model')), [keyframes, summary, datasets, imported, models]);
  const usable = useMemo(() => keyframes.filter((_, i) => !misfits[i]), [keyframes, misfits]);
  // Where this model can use fewer than two of the keyframes (another model's samples, a project opened on the default
  // model): the models that can use two or more of them, offered in one click.
  const fitting = useMemo(
    () => (keyframes.length >= 2 && usable.length < 2 ? candidates.filter((m) => m.id !== model && keyframes.filter((k) => !keyframeMisfit(k, m, datasets, imported, models)).length >= 2) : []),
    [keyframes, usable, candidates, model, datasets, imported, models],
  );
  const codesKey = [model, space, ...usable.map(keyframeKey)].join('|');
  const addImported = useLatentStore((s) => s.addImported);
  const setPath = useLatentStore((s) => s.setPath);
  const [method, setMethod] = useViewState<'lerp' | 'slerp'>('interpolate.method', 'slerp');
  const [frames, setFrames] = useViewState('interpolate.frames', 10);
  const [durations, setDurations] = useViewState<number[]>('interpolate.durations', []);
  const [strip, setStrip] = useViewState<Strip | undefined>('interpolate.strip', undefined);
  const [error, setError] = useState<string>();
  const [indexInput, setIndexInput] = useState('');
  const [fps, setFps] = useViewState('interpolate.fps', 8);
  const [stripBox, { width: stripWidth }] = useBoxSize<HTMLDivElement>();
  // The keyframes' codes in the interpolation's space, with what they are codes of: shown under the keyframes only while
  // those are still the model, space and keyframes on screen (another model's codes would be decoded by this one).
  const [computed, setKeyCodes] = useViewState<{ key: string; codes: Float32Array[] } | undefined>('interpolate.keyCodes', undefined);
  const { scaleFor, smooth } = useExportScale();

  const segments = Math.max(0, usable.length - 1);
  const segmentDurations = Array.from({ length: segments }, (_, i) => durations[i] ?? 1);

  const codesOf = useCallback(async () => {
    if (!client || !model) throw new Error('no model');
    // Dataset keyframes are encoded in one call per dataset (the explorer's may differ from this view's).
    const datasetCodes = new Map<string, Float32Array>();
    const byDataset = new Map<string, number[]>();
    for (const k of usable) if (k.kind === 'dataset') byDataset.set(k.dataset ?? BUNDLED_DATASET, [...(byDataset.get(k.dataset ?? BUNDLED_DATASET) ?? []), k.index]);
    for (const [from, indices] of byDataset) {
      const { images } = await client.invoke('dataset.images', { dataset: from, indices, model });
      const { mean } = await client.invoke('model.encode', { model, images: unitTensor(images) });
      const dim = mean.data.length / indices.length;
      indices.forEach((index, i) => datasetCodes.set(datasetImageKey(from, index), mean.data.slice(i * dim, (i + 1) * dim)));
    }
    const codes: Float32Array[] = [];
    for (const k of usable) {
      if (k.kind === 'dataset') codes.push(await toSpace(datasetCodes.get(keyframeKey(k))!, 'z', k.kind));
      else {
        const item = imported.find((i) => i.id === k.id)!;
        const own = item.model === model;
        codes.push(await toSpace(own ? item.code : (await client.invoke('model.encode', { model, images: item.image })).mean.data, own ? (item.space ?? 'z') : 'z', item.name));
      }
    }
    return codes;

    /** A keyframe's code moved on to the interpolation's space: z through the mapping network, w spread to every layer. */
    async function toSpace(code: Float32Array, from: CodeSpace, name: string): Promise<Float32Array> {
      if (from === space) return code;
      if (SPACES.indexOf(from) > SPACES.indexOf(space)) throw new Error(`${name} is a ${from} code: interpolate in ${from} to use it`);
      const w = from === 'z' ? (await client!.invoke('model.map', { model: model!, z: float32Tensor([1, code.length], code) })).w.data : code;
      return space === 'w' ? w : broadcastW(w, summary!.style!.numWs);
    }
  }, [client, model, summary, usable, imported, space]);

  /** A sample this model drew here, in this space: its picture is already the decoded code, so it is not shown twice. */
  const isOwnSample = (k: Keyframe) => {
    if (k.kind !== 'imported' || !k.id.startsWith(SAMPLE_ID)) return false;
    const item = imported.find((i) => i.id === k.id);
    return !!item && item.model === model && (item.space ?? 'z') === space;
  };

  const durationKey = segmentDurations.join(',');
  // A large model's strip takes seconds (ten frames at 1024 px on a CPU: 16 s): its progress, and a way to stop it.
  const [decoding, setDecoding] = useState<{ done: number; total: number }>();
  const [stopped, setStopped] = useState<string>();
  // A strip of more than one run, as far as it has come: its frames show as they are decoded, and stay if it is stopped.
  // One picture per frame ([channels, height, width] each), those still to come undefined.
  const [partial, setPartial] = useState<{ frames: (Uint8Array | undefined)[]; frameShape: number[]; done: number; model: string }>();
  // Bumped by "Decode again" after a stop: the same strip asked for once more.
  const [attempt, setAttempt] = useState(0);
  const stripJob = useRef<AbortController>(undefined);
  useEffect(() => {
    if (!client || !model || usable.length < 2) return;
    let current = true;
    setError(undefined);
    setStopped(undefined);
    setPartial(undefined);
    // Cancelled when the strip is no longer wanted (other keyframes or frames, another view): the engine stops before
    // its next frame, instead of decoding the rest of a strip no one will see while the new one waits on the lane.
    const job = (stripJob.current = new AbortController());
    let progress = { done: 0, total: frames };
    // Shown, it is also a job of the view's: the status bar counts it and Esc stops it.
    let shownAs: number | undefined;
    const reveal = setTimeout(() => {
      shownAs = useJobsStore.getState().start({ view: 'interpolate', label: 'Decoding the strip', ...progress, stop: () => job.abort() });
      setDecoding(progress);
    }, PROGRESS_AFTER_MS);
    const hide = () => {
      clearTimeout(reveal);
      if (shownAs !== undefined) useJobsStore.getState().finish(shownAs);
      shownAs = undefined;
    };
    (async () => {
      const codes = await codesOf();
      if (current) setKeyCodes({ key: codesKey, codes });
      const dim = codes[0]!.length;
      const flat = new Float32Array(codes.length * dim);
      codes.forEach((c, i) => flat.set(c, i * dim));
      // On a lane: dragging the frame count asks for a strip per value; only the newest waits while one is decoded.
      const result = await client.invoke(
        'latent.interpolate',
        { model, keyframes: codesTensor(summary, space, flat, codes.length), frames, method, durations: durationKey.split(',').map(Number), space, lane: 'interpolate', progressive: true },
        {
          signal: job.signal,
          onProgress: (p) => {
            progress = { done: p.done, total: p.total };
            if (!current) return;
            if (p.images) setPartial((old) => ({ frames: framesWithRun(old?.model === model ? old.frames : undefined, p.images!, p.done - p.images!.shape[0]!, p.total), frameShape: p.images!.shape.slice(1), done: p.done, model }));
            if (shownAs === undefined) return;
            setDecoding(p);
            useJobsStore.getState().update(shownAs, p.done, p.total);
          },
        },
      );
      if (!current) return;
      setStrip({ ...result, model });
      setPartial(undefined);
      // The explorer draws paths of z codes only.
      setPath(space === 'z' ? { model, codes: result.codes.data } : undefined);
    })()
      .catch((e: Error) => {
        if (!current || (e instanceof ApiError && e.code === 'superseded')) return;
        if (e instanceof ApiError && e.code === 'cancelled') setStopped(`Stopped after ${progress.done} of ${progress.total} frames.`);
        else setError(e.message);
      })
      .finally(() => {
        hide();
        if (current) setDecoding(undefined);
      });
    return () => {
      current = false;
      hide();
      job.abort();
      setDecoding(undefined);
    };
  }, [client, model, summary, space, usable, codesKey, frames, method, durationKey, codesOf, setPath, attempt]);

  const addIndex = (event: FormEvent) => {
    event.preventDefault();
    const index = Number(indexInput);
    if (!dataset) return;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) return setError(`${dataset.name}'s images are numbered 0 to ${dataset.count - 1}.`);
    appendKeyframe({ kind: 'dataset', index, dataset: dataset.id });
    setIndexInput('');
  };

  async function addImage(file: File) {
    if (!client || !model) return;
    try {
      const result = await client.invoke('image.import', { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name, model, fit: 'crop' });
      const { mean } = await client.invoke('model.encode', { model, images: result.modelInput });
      const id = `${file.name}-${Date.now()}`;
      addImported({ id, name: file.name, model, code: mean.data, image: result.modelInput });
      appendKeyframe({ kind: 'imported', id });
      return result;
    } catch (e) {
      setError((e as Error).message);
    }
  }

  /** A code from the model's prior (seeded), as a keyframe: GANs without an encoder interpolate between samples. */
  async function addSample() {
    if (!client || !summary?.latent) return;
    try {
      // The seed is taken before the decode, so a second click meanwhile draws the next one.
      const seed = sampleSeed;
      setSampleSeed(seed + 1);
      const size = summary.latent.shape.reduce((a, b) => a * b, 1);
      const code = randomNormal(size, seed);
      const { images } = await client.invoke('model.decode', { model: summary.id, z: float32Tensor([1, ...summary.latent.shape], code) });
      const id = `${SAMPLE_ID}${seed}-${Date.now()}`;
      addImported({ id, name: `sample · seed ${seed}`, model: summary.id, code, image: images });
      appendKeyframe({ kind: 'imported', id });
    } catch (e) {
      setError((e as Error).message);
    }
  }

  /** An inverted code saved in the project, as a keyframe. */
  function addInversion(id: string) {
    const item = savedInversions.find((i) => i.id === id);
    if (!item || !model) return;
    const keyId = `${item.id}-${Date.now()}`;
    addImported({ id: keyId, name: `inverted ${item.label}`, model, code: item.z.data, image: item.target, ...(item.space && item.space !== 'z' ? { space: item.space } : {}) });
    appendKeyframe({ kind: 'imported', id: keyId });
  }

  async function exportStrip(kind: 'png' | 'gif') {
    if (!client || !strip) return;
    try {
      if (kind === 'png') {
        const { png } = await client.invoke('image.exportPng', { image: strip.images, scale: scaleFor(strip.images.shape.slice(2)), smooth });
        downloadBytes(png, `interpolation-${model}-${frames}.png`, 'image/png');
      } else {
        const { gif } = await client.invoke('image.exportGif', { frames: strip.images, scale: scaleFor(strip.images.shape.slice(2)), frameMs: new Array(frames).fill(1000 / fps) });
        downloadBytes(gif, `interpolation-${model}-${frames}.gif`, 'image/gif');
      }
    } catch (e) {
      setError((e as Error).message);
    }
  }

  if (!model) return <EmptyState title="No model can decode codes">Add a VAE, an autoencoder or a GAN in the Models view.</EmptyState>;
  return (
    <div className="h-full overflow-auto p-6">
      <h2 className="mb-1 text-lg font-medium">Interpolate</h2>
      <div className="mb-4 flex flex-wrap items-center gap-3 text-sm text-muted">
        <label className="flex items-center gap-2">
          Model
          <ModelSelect models={candidates} value={model} onChange={setChosenModel} />
        </label>
        <DatasetSelect view="interpolate" dataset={dataset} options={options} />
        {summary?.style && (
          <label className="flex items-center gap-2" title="z: the prior's codes; w: one style for every layer (lerp here is StyleGAN's own); w+: a style per layer. z keyframes are mapped to w.">
            Space
            <select value={space} onChange={(e) => setSpace(e.target.value as CodeSpace)} aria-label="Interpolation space" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink">
              {SPACES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        )}
        <span>Pick images in the explorer and press Interpolate, or add keyframes here: dataset images, your own images{summary?.latent?.prior === 'none' ? '' : ', samples from the prior'} or saved inversions.</span>
      </div>

      <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Keyframes">
        <div className="mb-3 flex flex-wrap items-end gap-3">
          {keyframes.map((k, i) => (
            <div key={`${i}-${k.kind === 'dataset' ? `${k.dataset}:${k.index}` : k.id}`} className={`flex max-w-32 flex-col items-center gap-1 ${misfits[i] ? 'opacity-50' : ''}`} data-testid="keyframe">
              <KeyframeThumb keyframe={k} />
              {misfits[i] ? (
                <p className="text-center text-xs text-muted" data-testid="keyframe-misfit">
                  Not used: {misfits[i]}
                </p>
              ) : (
                computed?.key === codesKey && !isOwnSample(k) && <DecodedKeyframe model={model!} code={computed.codes[usable.indexOf(k)]!} index={usable.indexOf(k)} />
              )}
              <button type="button" onClick={() => setKeyframes(keyframes.filter((_, j) => j !== i))} className="text-xs text-muted hover:text-danger" title="Remove this keyframe">
                Remove
              </button>
            </div>
          ))}
          {keyframes.length === 0 && <p className="text-sm text-muted">No keyframes yet: select two or more points in Explore and press Interpolate, or add dataset images by number.</p>}
          {keyframes.length > usable.length && usable.length < 2 && (
            <p className="max-w-72 text-sm text-muted" data-testid="too-few-keyframes">
              {summary?.name} can use {usable.length === 0 ? 'none' : 'one'} of these keyframes: add {usable.length === 0 ? 'two' : 'one more'} below to interpolate with it
              {fitting.length > 0 ? ', or interpolate with ' : '.'}
              {fitting.map((m, i) => (
                <span key={m.id}>
                  {i > 0 && ' or '}
                  <button type="button" onClick={() => setChosenModel(m.id)} className="text-accent underline">
                    {m.name}
                  </button>
                </span>
              ))}
              {fitting.length > 0 && '.'}
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-start gap-4">
          <div className="flex flex-col gap-2">
            {!canEncode || mismatch ? (
              <p className="max-w-72 text-xs text-muted" data-testid="keyframe-sources">
                {!canEncode ? 'This model has no encoder, so images cannot become keyframes: add samples from its prior or saved inversions.' : mismatch}
              </p>
            ) : (
              <form onSubmit={addIndex} className="flex items-center gap-2">
                <input value={indexInput} onChange={(e) => setIndexInput(e.target.value)} placeholder={dataset ? `0–${dataset.count - 1}` : ""} aria-label="Dataset image number" className="w-24 rounded border border-line bg-panel-raised px-2 py-1 text-sm" />
                <button type="submit" className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised">
                  Add dataset image
                </button>
              </form>
            )}
            {/* Without a prior (an autoencoder, a Stable-Diffusion-style VAE) a random code decodes to noise: no such keyframe. */}
            {summary?.latent && summary.latent.prior !== 'none' && (
              <button type="button" onClick={() => void addSample()} className="w-fit rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised" title={`A code drawn from N(0, I), seed ${sampleSeed}`}>
                Add random sample
              </button>
            )}
            {savedInversions.length > 0 && (
              <select value="" onChange={(e) => addInversion(e.target.value)} aria-label="Add a saved inversion" className="w-fit rounded border border-line bg-panel-raised px-2 py-1 text-sm">
                <option value="">Add a saved inversion…</option>
                {savedInversions.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.label} · {i.psnr.toFixed(1)} dB
                  </option>
                ))}
              </select>
            )}
          </div>
          {canEncode && (
            <div className="min-w-72 flex-1">
              <ImageDropZone onFile={addImage} />
            </div>
          )}
        </div>
      </section>

      {usable.length >= 2 && (
        <section className="mb-4 flex flex-wrap items-center gap-5 text-sm" aria-label="Interpolation settings">
          <label className="flex items-center gap-2" title="slerp keeps codes at the norm the prior expects; lerp cuts through the middle">
            Method
            <select value={method} onChange={(e) => setMethod(e.target.value as 'lerp' | 'slerp')} className="rounded border border-line bg-panel-raised px-2 py-1">
              <option value="slerp">slerp</option>
              <option value="lerp">lerp</option>
            </select>
          </label>
          <label className="flex items-center gap-2">
            Frames
            <input type="range" min={2} max={64} value={frames} onChange={(e) => setFrames(Number(e.target.value))} onDoubleClick={() => setFrames(10)} aria-label="Frames" title="2 to 64 (double-click resets to 10)" />
            <span className="w-6 tabular-nums">{frames}</span>
          </label>
          {segments > 1 &&
            segmentDurations.map((d, i) => (
              <label key={i} className="flex items-center gap-1" title="Relative time spent on this segment">
                {i + 1}→{i + 2}
                <input type="number" min={0.1} step={0.1} value={d} onChange={(e) => setDurations(segmentDurations.map((old, j) => (j === i ? Math.max(0.1, Number(e.target.value) || 1) : old)))} className="w-16 rounded border border-line bg-panel-raised px-1 py-0.5" />
              </label>
            ))}
        </section>
      )}

      <Message text={error} className="mb-3 text-sm" />
      {decoding && (
        <div className="mb-3">
          <JobProgress label="Decoding the strip" done={decoding.done} total={decoding.total} unit="frames" onCancel={() => stripJob.current?.abort()} />
        </div>
      )}
      {stopped && (
        <div className="mb-3 flex items-center gap-3 text-sm">
          <Message text={stopped} error={false} className="text-sm" />
          <button type="button" onClick={() => setAttempt((n) => n + 1)} className="rounded border border-line px-2 py-0.5 text-xs hover:bg-panel-raised">
            Decode again
          </button>
        </div>
      )}

      {partial?.model === model && usable.length >= 2 ? (
        <section aria-label="Interpolation strip">
          <div ref={stripBox} className="mb-3 flex flex-wrap gap-1" data-testid="strip">
            {partial.frames.map((frame, i) => {
              const [, height = 1, width = 1] = partial.frameShape;
              const fit = stripFit(partial.frames.length, stripWidth);
              // A frame still to come keeps the place and size its tile will have (ImageTile's zoom and maxSize).
              const scale = Math.min(3, (fit ?? Infinity) / Math.max(height, width));
              return i < partial.done && frame ? (
                <ImageTile key={i} data={frame} shape={[1, ...partial.frameShape]} zoom={3} maxSize={fit} />
              ) : (
                <div key={i} className="rounded-sm bg-white/5" style={{ width: width * scale, height: height * scale }} data-testid="strip-pending" />
              );
            })}
          </div>
          <p className="mb-3 text-xs text-muted">
            {partial.done} of {partial.frames.length} frames decoded
          </p>
        </section>
      ) : strip?.model === model && usable.length >= 2 && (
        <section aria-label="Interpolation strip">
          <div ref={stripBox} className="mb-3 flex flex-wrap gap-1" data-testid="strip">
            {Array.from({ length: strip.images.shape[0]! }, (_, i) => (
              <ImageTile key={i} data={strip.images.data} shape={strip.images.shape} index={i} zoom={3} maxSize={stripFit(strip.images.shape[0]!, stripWidth)} />
            ))}
          </div>
          <p className="mb-3 text-xs text-muted">
            {strip.images.shape[0]} frames decoded in {strip.ms.toFixed(1)} ms
          </p>
          <div className="flex flex-wrap items-start gap-6">
            <AnimationPlayer images={strip.images} fps={fps} />
            <div className="flex flex-col gap-2 text-sm">
              <label className="flex items-center gap-2">
                Speed
                <input type="range" min={1} max={30} value={fps} onChange={(e) => setFps(Number(e.target.value))} onDoubleClick={() => setFps(8)} aria-label="Frames per second" />
                <span className="tabular-nums">{fps} fps</span>
              </label>
              <div className="flex gap-2">
                <ExportScale size={strip.images.shape.slice(2)} />
                <button type="button" onClick={() => void exportStrip('png')} className="rounded border border-line px-3 py-1 hover:bg-panel-raised" title="The strip as one PNG at the chosen scale">
                  Export PNG strip
                </button>
                <button type="button" onClick={() => void exportStrip('gif')} className="rounded border border-line px-3 py-1 hover:bg-panel-raised" title="The animation as a looping GIF">
                  Export GIF
                </button>
              </div>
            </div>
          </div>
        </section>
      )}
    </div>
  );
}
