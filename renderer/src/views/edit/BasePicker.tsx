import type { CallResult } from '../../../../electron/api/contract';
import { memo, type FormEvent, useMemo, useState } from 'react';
import type { ModelSummary } from '../../../../electron/api/contract';
import { unitTensor } from '../../../../electron/api/tensor';
import { randomNormal } from '../../../../electron/common/random';
import { ImageDropZone } from '../../components/ImageDropZone';
import { useAppStore } from '../../state/appStore';
import { useEditStore } from '../../state/editStore';
import { useLatentStore } from '../../state/latentStore';
import { BUNDLED_DATASET, datasetsFor, useDatasetStore } from '../../state/datasetStore';
import { Message } from '../../components/Message';
import { useViewState } from '../../state/viewState';
import { noDatasetNote } from '../../lib/useDecoded';
import type { CodeSpace } from '../../lib/codeSpace';
import { decodesCodes } from '../../lib/modelKinds';
import type { DatasetSummary } from '../../../../electron/api/contract';

/** Where an edit starts: an image of the view's dataset, the explorer's selection, a random sample, or the user's own image. */
export const BasePicker = memo(function BasePicker({ model, dataset }: { model: ModelSummary; dataset?: DatasetSummary }) {
  const client = useAppStore((s) => s.client);
  const setBase = useEditStore((s) => s.setBase);
  const addDirection = useEditStore((s) => s.addDirection);
  const selection = useLatentStore((s) => s.selection);
  // The explorer's selection indexes the explorer's dataset, which may not be this view's.
  const explored = useLatentStore((s) => s.dataset);
  const [index, setIndex] = useViewState('edit.basePicker.index', '');
  const [error, setError] = useState<string>();
  const [seed, setSeed] = useViewState('edit.basePicker.seed', 1);
  const exploredModelId = useLatentStore((s) => s.model);
  const exploredModel = useAppStore((s) => s.models.find((m) => m.id === exploredModelId));
  const datasets = useDatasetStore((s) => s.datasets);
  // The selection is taken in this view's model where the explored dataset fits it, else in the explorer's own model
  // (Edit then follows it, as it follows any base): a selection made with the Emoji VAE opens in the Emoji VAE.
  const fromSelection = useMemo(() => {
    for (const m of [model, exploredModel]) {
      const fits = m && decodesCodes(m) ? datasetsFor(datasets, m).find((d) => d.id === explored) : undefined;
      if (fits) return { model: m!, dataset: fits };
    }
    return undefined;
  }, [model, exploredModel, datasets, explored]);

  async function run(work: () => Promise<void>) {
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const fromDataset = (from: DatasetSummary, i: number, into: ModelSummary = model) =>
    run(async () => {
      const { images, labels: classes } = await client!.invoke('dataset.images', { dataset: from.id, indices: [i], model: into.id });
      const image = unitTensor(images);
      const { mean } = await client!.invoke('model.encode', { model: into.id, images: image });
      const where = from.id === BUNDLED_DATASET ? 'dataset' : from.name;
      setBase({ model: into.id, code: mean.data, label: `${where} #${i} · ${from.labels[classes[0]!] ?? ''}`, image });
    });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!dataset) return;
    const i = Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= dataset.count) return setError(`${dataset.name}'s images are numbered 0 to ${dataset.count - 1}.`);
    void fromDataset(dataset, i);
  };

  // An autoencoder's or a Stable-Diffusion-style VAE's codes are not N(0, I): a random code would decode to noise.
  const noPrior = model.latent?.prior === 'none';
  const fromSample = () => {
    const size = model.latent!.shape.reduce((a, b) => a * b, 1);
    setBase({ model: model.id, code: randomNormal(size, seed), label: `sample · seed ${seed}` });
    setSeed(seed + 1);
  };

  const fromFile = async (file: File) => {
    let imported: CallResult<'image.import'> | undefined;
    await run(async () => {
      imported = await client!.invoke('image.import', { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name, model: model.id, fit: 'crop' });
      const restored = imported.restored;
      if (restored && restored.model === model.id) {
        // A PNG exported by Latent Studio: restore its base code, its edit stack (directions included) and its original image.
        const space = restored.space ?? 'z';
        const stack = restored.edits.map((e) => {
          const name = e.vector ? addDirectionIfNew(e.direction, e.vector, space) : e.direction;
          return { direction: name, amount: e.amount };
        });
        setBase({ model: model.id, code: Float32Array.from(restored.latent.data), label: `${file.name} (restored edit)`, image: imported.restoredOriginal, ...(space === 'z' ? {} : { space }) }, stack);
        return;
      }
      const { mean } = await client!.invoke('model.encode', { model: model.id, images: imported.modelInput });
      setBase({ model: model.id, code: mean.data, label: file.name, image: imported.modelInput });
    });
    return imported;
  };

  function addDirectionIfNew(name: string, vector: number[], space: CodeSpace): string {
    const existing = useEditStore.getState().directions.find((d) => d.model === model.id && d.name === name && (d.space ?? 'z') === space);
    if (existing && existing.vector.every((v, i) => Math.abs(v - vector[i]!) < 1e-6)) return name;
    return addDirection({ name, model: model.id, kind: 'imported', note: 'restored from an exported PNG', vector: Float32Array.from(vector), ...(space === 'z' ? {} : { space }) });
  }

  return (
    <section aria-label="Start from" className="flex flex-col gap-2">
      <h3 className="text-xs font-medium uppercase tracking-wide text-muted">Start from</h3>
      {!dataset ? (
        <p className="text-xs text-muted" data-testid="dataset-mismatch">
          {noDatasetNote(model)}
        </p>
      ) : (
        <form onSubmit={submit} className="flex items-center gap-2">
          <input value={index} onChange={(e) => setIndex(e.target.value)} placeholder={`0–${dataset.count - 1}`} aria-label="Dataset image number" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-sm" />
          <button type="submit" className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised">
            Dataset image
          </button>
        </form>
      )}
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          disabled={selection.length === 0 || !fromSelection}
          onClick={() => fromSelection && void fromDataset(fromSelection.dataset, selection[0]!, fromSelection.model)}
          className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised disabled:opacity-40"
          title={fromSelection && fromSelection.model !== model ? `The first image selected in the explorer, in its model (${fromSelection.model.name})` : 'The first image selected in the explorer'}
        >
          Explorer selection
        </button>
        <button
          type="button"
          onClick={fromSample}
          disabled={noPrior}
          className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised disabled:opacity-40"
          title={noPrior ? "This model's codes have no prior to sample from: random codes would decode to noise. Start from an image instead." : 'A code drawn from N(0, I)'}
        >
          Random sample
        </button>
      </div>
      <ImageDropZone onFile={fromFile} />
      <Message text={error} className="text-xs" />
    </section>
  );
});
