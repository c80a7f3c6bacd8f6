import { useCallback, useEffect, useState } from 'react';
import type { CallResult } from '../../../../electron/api/contract';
import type { Float32Tensor } from '../../../../electron/api/tensor';
import { ImageDropZone } from '../../components/ImageDropZone';
import { ImageTile } from '../../components/ImageTile';
import { psnr } from '../../../../electron/common/imageMetrics';
import { downloadBytes } from '../../lib/download';
import { classifierFor, encodesImages } from '../../lib/modelKinds';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';
import { useViewState, viewStateValue } from '../../state/viewState';
import { ExportScale, useExportScale } from '../../components/ExportScale';

interface Result {
  /** What it was computed from, so coming back to the view does not import it again. */
  file: File;
  settings: string;
  name: string;
  originalUrl: string;
  imported: CallResult<'image.import'>;
  code: Float32Tensor;
  reconstruction: Float32Tensor;
  label?: string;
}


/** Import your own image: see what the model sees, its reconstruction, and export it as a PNG that remembers its code. */
export function TryImagePanel() {
  const client = useAppStore((s) => s.client);
  const models = useAppStore((s) => s.models);
  const encoders = models.filter(encodesImages);
  const [modelId, setModelId] = useViewState<string | undefined>('models.try.modelId', undefined);
  const [fit, setFit] = useViewState<'crop' | 'letterbox'>('models.try.fit', 'crop');
  const [invert, setInvert] = useViewState('models.try.invert', false);
  const [file, setFile] = useViewState<File | undefined>('models.try.file', undefined);
  const [result, setResult] = useViewState<Result | undefined>('models.try.result', undefined);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { scaleFor, smooth } = useExportScale();
  const model = modelId ?? encoders.find((m) => m.kind === 'vae')?.id ?? encoders[0]?.id;
  // Only a classifier that takes this model's images reads the result (the bundled one is 28×28×1).
  const classifier = classifierFor(models, models.find((m) => m.id === model));

  const run = useCallback(async () => {
    if (!client || !model || !file) return;
    const current = viewStateValue<Result>('models.try.result');
    if (current?.file === file && current.settings === `${model}|${fit}|${invert}`) return;
    setBusy(true);
    setError(undefined);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const imported = await client.invoke('image.import', { bytes, name: file.name, model, fit, invert });
      const restoredHere = imported.restored?.model === model ? imported.restored : undefined;
      const code = restoredHere
        ? { dtype: 'float32' as const, shape: restoredHere.latent.shape, data: Float32Array.from(restoredHere.latent.data) }
        : (await client.invoke('model.encode', { model, images: imported.modelInput })).mean;
      const { images } = await client.invoke('model.decode', { model, z: code });
      let label: string | undefined;
      if (classifier) {
        const c = await client.invoke('model.classify', { model: classifier.id, images: imported.modelInput });
        label = `${c.labels[c.predicted[0]!]} (${Math.round(c.probabilities.data[c.predicted[0]!]! * 100)}%)`;
      }
      setResult((old) => {
        if (old) URL.revokeObjectURL(old.originalUrl);
        return { file, settings: `${model}|${fit}|${invert}`, name: file.name, originalUrl: URL.createObjectURL(file), imported, code, reconstruction: images, label };
      });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, [client, model, file, fit, invert, classifier]);

  useEffect(() => {
    void run();
  }, [run]);

  async function exportPng() {
    if (!client || !result || !model) return;
    const scale = scaleFor(result.reconstruction.shape.slice(2));
    try {
      const { png } = await client.invoke('image.exportPng', {
        image: result.reconstruction,
        scale,
        smooth,
        metadata: { model, latent: { shape: result.code.shape, data: Array.from(result.code.data) }, edits: [] },
      });
      downloadBytes(png, `${result.name.replace(/\.[^.]+$/, '')}-${model}-${scale}x.png`, 'image/png');
    } catch (e) {
      setError((e as Error).message);
    }
  }

  if (encoders.length === 0) return null;
  return (
    <section className="mb-4 rounded-lg border border-line bg-panel p-4" aria-label="Try your own image">
      <div className="mb-3 flex flex-wrap items-center gap-4">
        <h3 className="text-sm font-medium">Try your own image</h3>
        <label className="flex items-center gap-2 text-xs text-muted">
          Model
          <select value={model} onChange={(e) => setModelId(e.target.value)} className="rounded border border-line bg-panel-raised px-2 py-1 text-ink">
            {encoders.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2 text-xs text-muted" title="Crop fills the square; letterbox keeps the whole image">
          Fit
          <select value={fit} onChange={(e) => setFit(e.target.value as 'crop' | 'letterbox')} className="rounded border border-line bg-panel-raised px-2 py-1 text-ink">
            <option value="crop">Centre crop</option>
            <option value="letterbox">Letterbox</option>
          </select>
        </label>
        <label className="flex items-center gap-2 text-xs text-muted" title="The bundled models saw light garments on black: invert photos of dark objects on white">
          <input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} />
          Invert
        </label>
      </div>
      <ImageDropZone onFile={setFile} busy={busy} />
      <Message text={error} className="mt-2 text-sm" />
      {result?.imported.warnings.map((w) => (
        <p key={w} role="status" className="mt-2 text-sm text-warning" data-testid="import-warning">
          {w}
        </p>
      ))}
      {result && (
        <div className="mt-4 flex flex-wrap items-end gap-6" data-testid="import-result">
          <figure className="m-0 flex flex-col items-center gap-1">
            <img src={result.originalUrl} alt="The original image" className="max-h-36 max-w-48 rounded-sm" />
            <figcaption className="text-xs text-muted">
              Original · {result.imported.width}×{result.imported.height} {result.imported.format.toUpperCase()}
            </figcaption>
          </figure>
          <ImageTile data={result.imported.modelInput.data} shape={result.imported.modelInput.shape} zoom={5} label="What the model sees" />
          <ImageTile
            data={result.reconstruction.data}
            shape={result.reconstruction.shape}
            zoom={5}
            label={`${result.imported.restored?.model === model ? 'Restored from the PNG' : 'Reconstruction'} · ${psnr(result.imported.modelInput.data, result.reconstruction.data).toFixed(1)} dB`}
          />
          <div className="flex flex-col gap-2 text-sm">
            {result.label && <p data-testid="classifier-label">Classifier: {result.label}</p>}
            <div className="flex items-center gap-2">
              <ExportScale size={result.reconstruction.shape.slice(2)} />
              <button type="button" onClick={() => void exportPng()} className="rounded border border-line px-3 py-1 hover:bg-panel-raised" title="Save the reconstruction as PNG, with its latent code embedded">
                Export PNG
              </button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
