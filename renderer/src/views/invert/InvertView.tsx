import { useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { ImageSource } from '../../components/ImageSource';
import { ImageTile } from '../../components/ImageTile';
import { JobProgress } from '../../components/JobProgress';
import { LossCurve } from '../../components/LossCurve';
import { useAppStore } from '../../state/appStore';
import { useEditStore } from '../../state/editStore';
import { useResultsStore, type SavedInversion } from '../../state/inversionStore';
import { useInvertStore } from '../../state/invertStore';
import { Message } from '../../components/Message';
import { useBoxSize } from '../../lib/useBoxSize';
import { downloadBytes } from '../../lib/download';
import { ExportScale, useExportScale } from '../../components/ExportScale';
import { classifierFor, decodesCodes, imageSize, noClassifierNote, sameImages } from '../../lib/modelKinds';
import { useViewState } from '../../state/viewState';
import { codesTensor } from '../../lib/codeSpace';
function NumberField({ label, value, onChange, min, max, step, title, disabled }: { label: string; value: number; onChange(v: number): void; min: number; max: number; step?: number; title: string; disabled?: boolean }) {
  return (
    <label className="flex items-center justify-between gap-2 text-sm" title={title}>
      <span className="text-muted">{label}</span>
      <input type="number" value={value} min={min} max={max} step={step} aria-label={label} disabled={disabled} onChange={(e) => onChange(Math.min(max, Math.max(min, Number(e.target.value) || 0)))} className="w-24 rounded border border-line bg-panel-raised px-2 py-1 disabled:opacity-40" />
    </label>
  );
}

/** The project's saved inversions, each shown again as Invert's result on click. */
function SavedInversions({ model }: { model: string }) {
  const client = useAppStore((s) => s.client);
  const saved = useResultsStore((s) => s.inversions).filter((i) => i.model === model);
  const savedAs = useInvertStore((s) => s.savedAs);
  const show = useInvertStore((s) => s.show);
  const [error, setError] = useState<string>();
  const hasTarget = useInvertStore((s) => !!s.target);
  const newest = saved.at(-1);
  // A reopened project shows its newest inversion at once, rather than an empty view.
  useEffect(() => {
    if (!hasTarget && newest) void open(newest);
  }, [hasTarget, newest?.id]);
  if (saved.length === 0) return null;
  async function open(item: SavedInversion) {
    if (!client) return;
    setError(undefined);
    try {
      const space = item.space ?? 'z';
      const summary = useAppStore.getState().models.find((m) => m.id === item.model);
      const { images } = await client.invoke('model.decode', { model: item.model, z: space === 'z' ? codesTensor(summary, 'z', item.z.data, 1) : item.z, space });
      show({
        model: item.model,
        target: { tensor: item.target, label: item.label },
        result: { z: item.z, space, image: images, psnr: item.psnr, ssim: item.ssim, curve: item.curve ?? [], steps: item.steps, cancelled: item.stopped },
        savedAs: item.id,
      });
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <section aria-label="Saved inversions" className="flex flex-col gap-1">
      <h3 className="text-sm text-muted">Saved in this project</h3>
      <ul className="flex flex-col gap-1">
        {saved.map((item) => (
          <li key={item.id}>
            <button type="button" onClick={() => void open(item)} aria-current={item.id === savedAs} className="w-full truncate rounded px-2 py-1 text-left text-sm hover:bg-panel-raised aria-[current=true]:bg-panel-raised">
              {item.label} · {item.psnr.toFixed(1)} dB{item.stopped ? ` · stopped at step ${item.steps}` : ''}
            </button>
          </li>
        ))}
      </ul>
      <Message text={error} className="text-xs" />
    </section>
  );
}

export function InvertView() {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models);
  const gans = models.filter(decodesCodes).filter((m) => m.kind === 'gan');
  const setView = useAppStore((s) => s.setView);
  const setBase = useEditStore((s) => s.setBase);
  const addInversion = useResultsStore((s) => s.addInversion);
  const { model, target: picked, settings, job, curve, live, result, resultModel, comparison, error, savedAs } = useInvertStore();
  const store = useInvertStore.getState();
  const modelId = model && gans.some((m) => m.id === model) ? model : gans[0]?.id;
  const summary = gans.find((m) => m.id === modelId);
  // The target picked for another model is kept for it, and used here only where it is this model's size.
  const [, channels = 0, height = 0, width = 0] = picked?.tensor.shape ?? [];
  const target = picked && summary && sameImages({ channels, height, width }, summary.image) ? picked : undefined;
  const hasEncoder = !!summary && 'encoder' in summary.graphs;
  // The perceptual term compares a classifier's features of the images: one that reads this model's images.
  const featureOptions = summary ? models.filter((m) => m.kind === 'classifier' && sameImages(m.image, summary.image)) : [];
  const [chosenFeatures, setChosenFeatures] = useViewState<string | undefined>('invert.perceptualClassifier', undefined);
  const features = featureOptions.find((m) => m.id === chosenFeatures) ?? classifierFor(models, summary);
  const setSettings = store.setSettings;
  const [panel, box] = useBoxSize<HTMLElement>();
  const { scaleFor, smooth } = useExportScale();
  const [exportError, setExportError] = useState<string>();
  // Target and result share the panel's width with the loss curve (320 px) and take at most half its height.
  const side = Math.round(Math.max(112, Math.min(512, (box.width - 48 - 320) / 2, box.height / 2)));
  useEffect(() => {
    if (modelId && modelId !== model) useInvertStore.getState().setModel(modelId);
  }, [modelId, model]);

  function edit() {
    if (!result || !resultModel || !target) return;
    const space = result.space ?? 'z';
    setBase({ model: resultModel, code: result.z.data, label: `inverted ${target.label} · ${result.psnr.toFixed(1)} dB${result.cancelled ? ` (stopped at step ${result.steps})` : ''}`, image: target.tensor, ...(space === 'z' ? {} : { space }) });
    setView('edit');
  }

  async function exportPng() {
    if (!client || !result || !resultModel || !target) return;
    const scale = scaleFor(result.image.shape.slice(2));
    try {
      const { png } = await client.invoke('image.exportPng', {
        image: result.image,
        scale,
        smooth,
        // Only z codes are restored by Edit from a PNG; a w or w+ result exports its picture alone.
        metadata: { model: resultModel, latent: { shape: result.z.shape, data: Array.from(result.z.data) }, edits: [], ...(result.space && result.space !== 'z' ? { space: result.space } : {}) },
        original: target.tensor,
      });
      downloadBytes(png, `inverted-${target.label.replace(/[^\w.-]+/g, '-')}-${resultModel}-${scale}x.png`, 'image/png');
    } catch (e) {
      setExportError((e as Error).message);
    }
  }

  function save() {
    if (!result || !resultModel || !target) return;
    const id = `inv-${Date.now()}`;
    addInversion({ id, model: resultModel, label: target.label, z: result.z, space: result.space, psnr: result.psnr, ssim: result.ssim, target: target.tensor, curve: result.curve, steps: result.steps, stopped: result.cancelled });
    store.markSaved(id);
  }

  const shown = job ? live : (result?.image ?? live);
  if (!modelId) return <EmptyState title="No GAN in the library">Inversion needs a GAN generator. Add a model folder in Models; its generator is differentiated when it has no inversion graph of its own.</EmptyState>;
  return (
    <div className="grid h-full grid-cols-[20rem_1fr]">
      <aside className="flex min-h-0 flex-col gap-4 overflow-auto border-r border-line bg-panel p-4">
        <h2 className="text-lg font-medium">Invert</h2>
        {/* Which generator the image is inverted into, named even when the library has only one, as the other views do. */}
        <label className="flex items-center gap-2 text-sm text-muted">
          Model
          <select value={modelId} onChange={(e) => store.setModel(e.target.value)} aria-label="Model" className="min-w-0 flex-1 rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink">
            {gans.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <ImageSource model={modelId} view="invert" onImage={(tensor, label) => store.setTarget({ tensor, label })} />
        <section aria-label="Settings" className="flex flex-col gap-2">
          <NumberField label="Steps" value={settings.steps} min={1} max={5000} onChange={(steps) => setSettings({ steps })} title="Adam steps" />
          <NumberField label="Random restarts" value={settings.restarts} min={0} max={32} onChange={(restarts) => setSettings({ restarts })} title="Random starting codes optimised together; the best wins" />
          <NumberField label="Learning rate" value={settings.lr} min={0.001} max={1} step={0.01} onChange={(lr) => setSettings({ lr })} title="Peak rate: short warm-up, cosine ramp-down" />
          <NumberField label="Prior λ" value={settings.prior} min={0} max={1} step={0.001} onChange={(prior) => setSettings({ prior })} title="Adds λ‖z‖² to keep z plausible" />
          <NumberField label="Early noise" value={settings.noise} min={0} max={1} step={0.01} onChange={(noise) => setSettings({ noise })} title="Latent noise early on, decaying to 0" />
          <label className="flex items-center gap-2 text-sm" title={hasEncoder ? "Start one run from the encoder's guess" : 'This model has no encoder: every run starts from a random code'}>
            <input type="checkbox" checked={settings.warmStart && hasEncoder} disabled={!hasEncoder} onChange={(e) => setSettings({ warmStart: e.target.checked })} /> Encoder warm start
          </label>
          <NumberField
            label="Perceptual λ"
            value={features ? settings.perceptual : 0}
            min={0}
            max={10}
            step={0.1}
            disabled={!features}
            onChange={(perceptual) => setSettings({ perceptual })}
            title={features ? `Adds λ × the distance between ${features.name}'s features of G(z) and of the target (1 weighs them like the pixels); the generator is then differentiated with the classifier` : `The perceptual term compares a classifier's features. ${summary ? noClassifierNote(summary) : ''}`}
          />
          {featureOptions.length > 1 && settings.perceptual > 0 && (
            <label className="flex items-center justify-between gap-2 text-sm" title="The classifier whose features the perceptual term compares">
              <span className="text-muted">Features of</span>
              <select value={features?.id} onChange={(e) => setChosenFeatures(e.target.value)} aria-label="Perceptual classifier" className="w-40 rounded border border-line bg-panel-raised px-2 py-1">
                {featureOptions.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {summary?.style && (
            <label className="flex items-center justify-between gap-2 text-sm" title="z: the prior's code; w: one style for every layer, starting at the average style; w+: a style per layer, the most faithful and the least editable">
              <span className="text-muted">Space</span>
              <select value={settings.space} onChange={(e) => setSettings({ space: e.target.value as 'z' | 'w' | 'w+' })} aria-label="Space" className="w-40 rounded border border-line bg-panel-raised px-2 py-1">
                <option value="z">z</option>
                <option value="w">w</option>
                <option value="w+">w+ ({summary.style.numWs} × {summary.style.wDim})</option>
              </select>
            </label>
          )}
        </section>
        <div className="flex flex-wrap gap-2">
          <button type="button" onClick={() => client && void store.run(client, hasEncoder, !!summary?.style, features?.id)} disabled={!target || !!job || !client} className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas disabled:opacity-40">
            Invert
          </button>
          <button
            type="button"
            onClick={() => client && void store.compare(client, !!summary?.style, features?.id)}
            disabled={!target || !!job || !hasEncoder}
            className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised disabled:opacity-40"
            title={hasEncoder ? 'Encoder only, optimization only, and both' : 'Needs an encoder to compare starts'}
          >
            Compare starts
          </button>
        </div>
        {modelId && <SavedInversions model={modelId} />}
      </aside>
      <main ref={panel} className="min-h-0 overflow-auto p-6">
        {!target ? (
          <EmptyState title="Pick an image to invert">
            {picked && summary && <span data-testid="target-misfit">The target picked before ({picked.label}) is a {imageSize({ channels, height, width })} image and this model takes {imageSize(summary.image)}. </span>}
            Choose a dataset image or drop your own on the left; the GAN's code for it is found by optimization.
          </EmptyState>
        ) : (
          <div className="flex flex-col gap-4">
            {job && <JobProgress label="Inverting" done={job.step} total={job.total} unit="steps" onCancel={job.stop} cancelLabel="Stop" cancelTitle="Stop now and keep the best code so far (Esc)" />}
            <Message text={error} className="text-sm" />
            <div className="flex flex-wrap items-end gap-6">
              <ImageTile data={target.tensor.data} shape={target.tensor.shape} size={side} label={`Target · ${target.label}`} />
              {shown && <ImageTile data={shown.data} shape={shown.shape} size={side} label={job ? 'Best so far' : result?.cancelled ? `G(z*) · stopped at step ${result.steps}` : 'G(z*)'} />}
              <LossCurve values={curve} />
            </div>
            {result && !job && (
              <div className="flex flex-wrap items-center gap-4 text-sm" data-testid="inversion-result">
                <span data-testid="psnr">PSNR {result.psnr.toFixed(2)} dB</span>
                <span>SSIM {result.ssim.toFixed(3)}</span>
                {result.encoderOnly && <span className="text-muted" data-testid="encoder-psnr">encoder alone: {result.encoderOnly.psnr.toFixed(2)} dB</span>}
                {result.cancelled ? (
                  <span className="font-medium text-warning" data-testid="stopped-at">
                    stopped at step {result.steps}: best so far
                  </span>
                ) : (
                  result.steps !== undefined && (
                    <span className="text-muted">
                      {result.steps} steps{result.stoppedOnPlateau ? ' (stopped on a plateau)' : ''}
                      {result.ms !== undefined && ` · ${(result.ms / 1000).toFixed(1)} s`}
                      {result.winner !== undefined && ` · winner: ${result.winner === 0 && result.encoderOnly ? 'encoder start' : `restart ${result.winner}`}`}
                    </span>
                  )
                )}
                {result.space && result.space !== 'z' && (
                  <span className="text-muted" data-testid="code-space">
                    code in {result.space} [{result.z.shape.slice(1).join(' × ')}]
                  </span>
                )}
                {result.gradientSource && (
                  <span className="text-muted" data-testid="gradient-source" title={result.gradientNote ?? "dL/dz from the model's own inversion graph, or from its generator differentiated by Latent Studio"}>
                    gradients: {result.gradientSource}
                  </span>
                )}
                <button
                  type="button"
                  onClick={edit}
                  className="rounded bg-accent px-3 py-1 font-medium text-canvas disabled:opacity-40"
                  title={result.space && result.space !== 'z' ? `Edit this ${result.space} code along ${result.space} directions (principal, boundary or gradient)` : 'Edit this code along directions'}
                >
                  Edit
                </button>
                <button type="button" disabled={!!savedAs} onClick={save} className="rounded border border-line px-3 py-1 hover:bg-panel-raised disabled:opacity-40" title="Keep this code in the project">
                  {savedAs ? 'Saved in project' : 'Save to project'}
                </button>
                <ExportScale size={result.image.shape.slice(2)} />
                <button type="button" onClick={() => void exportPng()} className="rounded border border-line px-3 py-1 hover:bg-panel-raised" title="G(z*) as PNG, with its code and the target embedded: drop it into Edit to go on from here">
                  Export PNG
                </button>
                <Message text={exportError} className="text-sm" />
              </div>
            )}
            {comparison && (
              <table className="text-sm" data-testid="comparison">
                <thead>
                  <tr className="text-left text-muted">
                    <th className="pr-6 font-normal">Start</th>
                    <th className="pr-6 font-normal">Result</th>
                    <th className="pr-6 font-normal">PSNR</th>
                    <th className="font-normal">SSIM</th>
                  </tr>
                </thead>
                <tbody>
                  {comparison.map((c) => (
                    <tr key={c.label}>
                      <td className="pr-6">{c.label}</td>
                      <td className="pr-6">
                        <ImageTile data={c.image.data} shape={c.image.shape} zoom={2} />
                      </td>
                      <td className="pr-6 tabular-nums">{c.psnr.toFixed(2)} dB</td>
                      <td className="tabular-nums">{c.ssim.toFixed(3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </main>
    </div>
  );
}
