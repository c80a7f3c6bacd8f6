import { useState, type FormEvent } from 'react';
import { float32Tensor, type Float32Tensor } from '../../../electron/api/tensor';
import { ImageDropZone } from './ImageDropZone';
import { useAppStore } from '../state/appStore';
import { Message } from './Message';
import { useDatasetMismatch } from '../lib/useDecoded';

/** Picks an input image: a dataset image by number, or the user's own (imported at the model's size). */
export function ImageSource({ model, onImage }: { model: string; onImage(image: Float32Tensor, label: string): void }) {
  const client = useAppStore((s) => s.client);
  const mismatch = useDatasetMismatch(model);
  const [index, setIndex] = useState('0');
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const i = Number(index);
    if (!client || !Number.isInteger(i) || i < 0 || i > 9999) return setError('Dataset images are numbered 0 to 9999.');
    try {
      const { images } = await client.invoke('dataset.images', { indices: [i] });
      onImage(float32Tensor(images.shape, Float32Array.from(images.data, (v) => v / 255)), `dataset #${i}`);
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
      {mismatch ? (
        <p className="text-xs text-muted" data-testid="dataset-mismatch">
          {mismatch}
        </p>
      ) : (
        <form onSubmit={(e) => void submit(e)} className="flex items-center gap-2">
          <input value={index} onChange={(e) => setIndex(e.target.value)} aria-label="Dataset image number" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 text-sm" />
          <button type="submit" className="rounded border border-line px-2 py-1 text-sm hover:bg-panel-raised">
            Use dataset image
          </button>
        </form>
      )}
      <ImageDropZone onFile={fromFile} />
      <Message text={error} className="text-xs" />
    </div>
  );
}
