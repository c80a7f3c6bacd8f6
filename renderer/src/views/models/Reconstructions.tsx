import { useEffect, useMemo, useState } from 'react';
import type { ModelSummary } from '../../../../electron/api/contract';
import { float32Tensor, unitFloats, unitTensor, type Float32Tensor } from '../../../../electron/api/tensor';
import { psnr } from '../../../../electron/common/imageMetrics';
import { ImageTile } from '../../components/ImageTile';
import { Message } from '../../components/Message';
import { useAppStore } from '../../state/appStore';
import type { Encoding } from '../../state/latentStore';
import { useViewState } from '../../state/viewState';
import { useByValue } from '../../lib/useByValue';

/**
 * Dataset images as the model takes them above the same images decoded back from their codes, with the mean PSNR.
 * The codes come from the dataset's encoding where a view has one, else the images are encoded here.
 */
export function Reconstructions({ model, dataset, indices, encoding, tile = 36 }: { model: ModelSummary; dataset: string; indices: number[]; encoding?: Encoding; tile?: number }) {
  const client = useAppStore((s) => s.client);
  // Kept per model, dataset and images across view switches and library updates (a new summary object each time a
  // model loads), so they are decoded once, as SampleGrid's samples are.
  const [result, setResult] = useViewState<{ originals: { data: Uint8Array; shape: number[] }; decoded: Float32Tensor } | undefined>(`reconstructions.${model.id}.${dataset}.${indices.join(',')}`, undefined);
  const { originals, decoded } = result ?? {};
  const [error, setError] = useState<string>();
  // By value: a library update replaces the summary object, not its latent shape.
  const latent = useByValue(model.latent?.shape);
  const done = !!result;
  const busy = !done && !error;

  useEffect(() => {
    if (!client || !latent || indices.length === 0 || done) return;
    let live = true;
    setError(undefined);
    const run = async () => {
      const { images } = await client.invoke('dataset.images', { dataset, indices, model: model.id });
      let z: Float32Array;
      if (encoding) {
        z = new Float32Array(indices.length * encoding.dim);
        indices.forEach((index, i) => z.set(encoding.codes.subarray(index * encoding.dim, (index + 1) * encoding.dim), i * encoding.dim));
      } else {
        z = (await client.invoke('model.encode', { model: model.id, images: unitTensor(images) })).mean.data;
      }
      const decodedImages = await client.invoke('model.decode', { model: model.id, z: float32Tensor([indices.length, ...latent], z) });
      setResult({ originals: images, decoded: decodedImages.images });
    };
    run().catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [client, dataset, encoding, model.id, latent, indices, done, setResult]);

  const score = useMemo(() => {
    if (!decoded || !originals || originals.data.length !== decoded.data.length) return undefined;
    const size = decoded.data.length / indices.length;
    let sum = 0;
    for (let i = 0; i < indices.length; i++) sum += psnr(unitFloats(originals.data.subarray(i * size, (i + 1) * size)), decoded.data.subarray(i * size, (i + 1) * size));
    return sum / indices.length;
  }, [decoded, originals, indices.length]);

  return (
    <div data-testid={`reconstructions-${model.id}`} aria-busy={busy}>
      <p className="mb-1 text-xs text-muted">
        Reconstructions{score !== undefined ? <span data-testid="reconstruction-psnr">: {score.toFixed(1)} dB mean PSNR</span> : busy ? ': decoding…' : null}
      </p>
      <div className="grid grid-cols-8 gap-1">
        {originals && Array.from({ length: indices.length }, (_, i) => <ImageTile key={`o${i}`} data={originals.data} shape={originals.shape} index={i} size={tile} />)}
        {decoded && Array.from({ length: indices.length }, (_, i) => <ImageTile key={`r${i}`} data={decoded.data} shape={decoded.shape} index={i} size={tile} />)}
      </div>
      <Message text={error} className="mt-1 text-xs" />
    </div>
  );
}
