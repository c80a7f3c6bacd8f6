import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../../electron/api/errors';
import type { Float32Tensor } from '../../../electron/api/tensor';
import type { CallResult } from '../../../electron/api/contract';
import { useAppStore } from '../state/appStore';
import { imageSize, sameImages } from './modelKinds';

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

/** The dataset sample's name and image size, asked once. */
let datasetInfo: Promise<CallResult<'dataset.info'>> | undefined;
export function useDatasetInfo(): CallResult<'dataset.info'> | undefined {
  const client = useAppStore((s) => s.client);
  const [info, setInfo] = useState<CallResult<'dataset.info'>>();
  useEffect(() => {
    if (!client) return;
    let current = true;
    (datasetInfo ??= client.invoke('dataset.info', {})).then(
      (r) => current && setInfo(r),
      () => (datasetInfo = undefined),
    );
    return () => {
      current = false;
    };
  }, [client]);
  return info;
}

/** [1, channels, height, width] of one dataset image, once dataset.info has answered. */
export function useDatasetImageShape(): number[] | undefined {
  const info = useDatasetInfo();
  return info && [1, info.channels, info.height, info.width];
}

/**
 * Why the dataset cannot feed this model, in one line, or undefined when it can: the bundled
 * sample is 28×28×1, and a colour or larger model takes the user's own images instead.
 */
export function useDatasetMismatch(modelId: string | undefined): string | undefined {
  const info = useDatasetInfo();
  const model = useAppStore((s) => s.models.find((m) => m.id === modelId));
  if (!info || !model || sameImages(info, model.image)) return undefined;
  return `The dataset holds ${imageSize(info)} images; this model takes ${imageSize(model.image)}: drop or choose your own image.`;
}
