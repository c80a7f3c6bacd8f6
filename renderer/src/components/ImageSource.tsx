import { useState, type FormEvent } from 'react';
import { useViewState } from '../state/viewState';
import { unitTensor, type Float32Tensor } from '../../../electron/api/tensor';
import { ImageDropZone } from './ImageDropZone';
import { DatasetSelect } from './DatasetSelect';
import { useAppStore } from '../state/appStore';
import { BUNDLED_DATASET, useViewDataset } from '../state/datasetStore';
import { Message } from './Message';
import { noDatasetNote } from '../lib/useDecoded';

/** Picks an input image: an image of the view's dataset by number (as the model takes it), or the user's own (imported at the model's size). */
export function ImageSource({ model, view, onImage }: { model: string; view: string; onImage(image: Float32Tensor, label: string): void }) {
  const client = useAppStore((s) => s.client);
  const summary = useAppStore((s) => s.models.find((m) => m.id === model));
  const { dataset, options } = useViewDataset(view, summary);
  // Kept with the view's other state, so coming back to the view shows the number of the image it holds.
  const [index, setIndex] = useViewState(`${view}.datasetImageNumber`, '0');
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const i = Number(index);
    if (!client || !dataset) return;
    if (!Number.isInteger(i) || i < 0 || i >= dataset.count) return setError(`${dataset.name}'s images are numbered 0 to ${dataset.count - 1}.`);
    try {
      const { images } = await client.invoke('dataset.images', { dataset: dataset.id, indices: [i], model });
      onImage(unitTensor(images), dataset.id === BUNDLED_DATASET ? `dataset #${i}` : `${dataset.name} #${i}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const fromFile = async (file: File) => {
    setError(undefined);
    try {
      const result = await client!.invoke('image.import', { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name, model, fit: 'crop' });
      onImage(result.modelInput, file.name);
      return result;
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="flex flex-col gap-2">
      {!dataset ? (
        summary && (
          <p className="text-xs text-muted" data-testid="dataset-mismatch">
            {noDatasetNote(summary)}
          </p>
        )
      ) : (
        <>
          {options.length > 1 && <DatasetSelect view={view} dataset={dataset} options={options} />}
          <form onSubmit={(e) => void submit(e)} className="flex items-center gap-2">
            <input value={index} onChange={(e) => setIndex(e.target.value)} aria-label="Dataset image number" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-sm" />
            <button type="submit" className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised">
              Use dataset image
            </button>
          </form>
        </>
      )}
      <ImageDropZone onFile={fromFile} />
      <Message text={error} className="text-xs" />
    </div>
  );
}
