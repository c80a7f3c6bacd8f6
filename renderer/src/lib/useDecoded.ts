import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../../electron/api/errors';
import { unitTensor, type Float32Tensor, type Uint8Tensor } from '../../../electron/api/tensor';
import type { DatasetSummary, ModelSummary } from '../../../electron/api/contract';
import { useAppStore } from '../state/appStore';
import { imageSize } from './modelKinds';
import { decodeArgs, type CodeSpace } from './codeSpace';
import { noteDecodeCost } from './decodeCost';

/** The code each image usePreview returned was decoded from, so a readout can describe the image on screen. */
const decodedFrom = new WeakMap<Float32Tensor | Uint8Tensor, Float32Array>();
export const codeOfDecoded = (image: Float32Tensor | Uint8Tensor | undefined): Float32Array | undefined => (image ? decodedFrom.get(image) : undefined);

/** An image as [0, 1] floats: 8-bit planes divided by 255, float images as they are. */
export function asUnitFloats(image: Float32Tensor | Uint8Tensor): Float32Tensor {
  return image.dtype === 'uint8' ? unitTensor(image) : image;
}

type Image = Float32Tensor | Uint8Tensor;

/**
 * Decodes one code for display on a lane, so rapid changes (hover, a dragged cursor, a slider) keep only the
 * newest request; the previous image stays until the new one arrives. The engine sends 8-bit channel planes
 * (model.preview): a quarter of float32's bytes (a 512 px frame: 0.8 MB, not 3 MB), with nothing for the page to
 * check or scale; `asUnitFloats` turns one back into the [0, 1] floats other calls take.
 * `known` is the image when the caller already has it (a precomputed sweep frame): no request is made, and it
 * counts as the previous image for the next request. A new array holding the same values as the code last asked
 * for (a parent that rebuilds the code when a direction is added at 0, or the base is set again) makes no request
 * either: at 256 px on a CPU each repeat cost a decode that the next slider move then waited behind.
 */
export function usePreview(model: string | undefined, code: Float32Array | undefined, lane: string, known?: Image, space: CodeSpace = 'z'): Image | undefined {
  const client = useAppStore((s) => s.client);
  const summary = useAppStore((s) => s.models.find((m) => m.id === model));
  const [image, setImage] = useState<Image>();
  const lastKnown = useRef<Image>(undefined);
  const asked = useRef<{ model: string; space: CodeSpace; code: Float32Array; reply: Promise<Image> }>(undefined);
  useLayoutEffect(() => {
    if (known) lastKnown.current = known;
  }, [known]);
  useEffect(() => {
    if (!client || !model || !code || known || !summary) return;
    let reply: Promise<Image>;
    const last = asked.current;
    // The summary changes as the model loads (provider, load time); what its decodes depend on does not.
    const identity = decodeIdentity(summary);
    if (!lastKnown.current && last && last.model === identity && last.space === space && sameValues(last.code, code)) reply = last.reply;
    else {
      // Leaving known images: keep showing the newest of them, not an older decode, until this one answers.
      if (lastKnown.current) setImage(lastKnown.current);
      lastKnown.current = undefined;
      reply = client.invoke('model.preview', { ...decodeArgs(summary, space, code, 1), lane }).then((r) => {
        decodedFrom.set(r.images, code);
        noteDecodeCost(model, r.ms);
        return r.images;
      });
      asked.current = { model: identity, space, code, reply };
    }
    let current = true;
    reply
      .then((images) => {
        if (current) setImage(images);
      })
      .catch((e: unknown) => {
        // A request that failed or was superseded is asked again by the next code, even an equal one.
        if (asked.current?.reply === reply) asked.current = undefined;
        if (!(e instanceof ApiError && e.code === 'superseded')) console.error(e);
      });
    return () => {
      current = false;
    };
  }, [client, model, summary, code, lane, known, space]);
  // Leaving known images, the render before the effect above shows the newest of them, not the older decode in state:
  // at 256 px a move from a strip frame to another amount flashed the picture of two moves before for a frame.
  return code ? (known ?? lastKnown.current ?? image) : undefined;
}

/** What a model's decodes depend on, as its summary says: its files and how its codes and images are shaped. */
const decodeIdentity = (m: ModelSummary) => JSON.stringify([m.id, m.folder, m.graphs, m.image, m.latent, m.style]);

const sameValues = (a: Float32Array, b: Float32Array) => a === b || (a.length === b.length && a.every((v, i) => v === b[i]));

/** Dataset images (a folder's thumbnails) by dataset and index, fetched once and kept until the dataset is read again. */
const datasetImages = new Map<string, Uint8Array>();
export function forgetDatasetImages(dataset: string): void {
  for (const key of [...datasetImages.keys()]) if (key.startsWith(`${dataset}:`)) datasetImages.delete(key);
}
export function useDatasetImage(dataset: string | undefined, index: number | null | undefined): Uint8Array | undefined {
  const client = useAppStore((s) => s.client);
  const key = `${dataset}:${index}`;
  const [image, setImage] = useState<Uint8Array | undefined>(index == null ? undefined : datasetImages.get(key));
  useEffect(() => {
    if (!client || index == null || !dataset) return;
    const cached = datasetImages.get(key);
    if (cached) return setImage(cached);
    let current = true;
    client.invoke('dataset.images', { dataset, indices: [index] }).then((r) => {
      datasetImages.set(key, r.images.data);
      if (current) setImage(r.images.data);
    }, console.error);
    return () => {
      current = false;
    };
  }, [client, dataset, index, key]);
  return index == null ? undefined : image;
}

/** [1, channels, height, width] of the images dataset.images returns for a dataset. */
export const datasetImageShape = (d: Pick<DatasetSummary, 'channels' | 'height' | 'width'> | undefined): number[] | undefined => d && [1, d.channels, d.height, d.width];

/** One line for a view whose model no dataset fits. */
export const noDatasetNote = (model: Pick<ModelSummary, 'image'>) =>
  `No dataset holds ${imageSize(model.image)} images: open a folder of your own images (File ▸ Open image folder as dataset) to use one with this model.`;
