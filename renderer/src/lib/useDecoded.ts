import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../../electron/api/errors';
import type { Float32Tensor } from '../../../electron/api/tensor';
import { useAppStore } from '../state/appStore';

/**
 * Decodes one code on a lane, so rapid changes (hover, a dragged cursor) keep
 * only the newest request; the previous image stays until the new one arrives.
 * `known` is the image when the caller already has it (a precomputed sweep frame):
 * no request is made, and it counts as the previous image for the next request.
 */
export function useDecoded(model: string | undefined, code: Float32Array | undefined, lane: string, known?: Float32Tensor): Float32Tensor | undefined {
  const client = useAppStore((s) => s.client);
  const [image, setImage] = useState<Float32Tensor>();
  const lastKnown = useRef<Float32Tensor>(undefined);
  useLayoutEffect(() => {
    if (known) lastKnown.current = known;
  }, [known]);
  useEffect(() => {
    if (!client || !model || !code || known) return;
    // Leaving known images: keep showing the newest of them, not an older decode, until this one answers.
    if (lastKnown.current) setImage(lastKnown.current);
    lastKnown.current = undefined;
    let current = true;
    client
      .invoke('model.decode', { model, z: { dtype: 'float32', shape: [1, code.length], data: code }, lane })
      .then((r) => current && setImage(r.images))
      .catch((e: unknown) => {
        if (!(e instanceof ApiError && e.code === 'superseded')) console.error(e);
      });
    return () => {
      current = false;
    };
  }, [client, model, code, lane, known]);
  return code ? (known ?? image) : undefined;
}

/** Dataset images by index, fetched once and kept. */
const datasetImages = new Map<number, Uint8Array>();
export function useDatasetImage(index: number | null | undefined): Uint8Array | undefined {
  const client = useAppStore((s) => s.client);
  const [image, setImage] = useState<Uint8Array | undefined>(index == null ? undefined : datasetImages.get(index));
  useEffect(() => {
    if (!client || index == null) return;
    const cached = datasetImages.get(index);
    if (cached) return setImage(cached);
    let current = true;
    client.invoke('dataset.images', { indices: [index] }).then((r) => {
      datasetImages.set(index, r.images.data);
      if (current) setImage(r.images.data);
    }, console.error);
    return () => {
      current = false;
    };
  }, [client, index]);
  return index == null ? undefined : image;
}
