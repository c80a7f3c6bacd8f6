import { useEffect, useState } from 'react';
import { ApiError } from '../../../../electron/api/errors';
import { useAppStore } from '../../state/appStore';
import { useLatentStore } from '../../state/latentStore';

export interface EncodingJob {
  progress?: { done: number; total: number };
  error?: string;
  cancel?: () => void;
  restart(): void;
}

/** Encodes the dataset with a model (a cancellable job with progress), then fetches its PCA; cached per model. */
export function useEncoding(model: string | undefined): EncodingJob {
  const client = useAppStore((s) => s.client);
  const encoding = useLatentStore((s) => (model ? s.encodings[model] : undefined));
  const setEncoding = useLatentStore((s) => s.setEncoding);
  const [state, setState] = useState<Omit<EncodingJob, 'restart'>>({});
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!client || !model || encoding) return;
    const controller = new AbortController();
    setState({ progress: { done: 0, total: 1 }, cancel: () => controller.abort() });
    (async () => {
      try {
        const encoded = await client.invoke('dataset.encode', { model }, { signal: controller.signal, onProgress: (progress) => setState((s) => ({ ...s, progress })) });
        const projection = await client.invoke('dataset.project', { model });
        setEncoding(model, {
          dim: projection.dim,
          codes: encoded.codes.data,
          labels: encoded.labels,
          mean: projection.mean.data,
          components: projection.components.data,
          explained: projection.explained,
          coords: projection.coords.data,
        });
        setState({});
      } catch (e) {
        setState({ error: e instanceof ApiError && e.code === 'cancelled' ? 'Encoding was cancelled.' : (e as Error).message });
      }
    })();
    return () => controller.abort();
  }, [client, model, encoding, setEncoding, attempt]);

  return { ...state, restart: () => setAttempt((a) => a + 1) };
}

/** Coordinates of codes on the encoding's principal components (code − mean) · PCᵢ, for the three shown axes. */
export function projectCodes(encoding: Encoding3D, codes: Float32Array, axes: readonly number[]): Float32Array {
  const { dim, mean, components } = encoding;
  const count = codes.length / dim;
  const out = new Float32Array(count * 3);
  for (let n = 0; n < count; n++) {
    axes.forEach((axis, a) => {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += (codes[n * dim + j]! - mean[j]!) * components[axis * dim + j]!;
      out[n * 3 + a] = sum;
    });
  }
  return out;
}

type Encoding3D = { dim: number; mean: Float32Array; components: Float32Array };
