import type { ModelSummary } from '../../electron/api/contract';

/** A model summary as the library lists it, for the renderer's tests: a 28×28 greyscale VAE with a 16-d code unless told otherwise. */
export const modelSummary = (id: string, extra: Partial<ModelSummary> = {}): ModelSummary => ({
  id,
  name: id,
  kind: 'vae',
  description: '',
  source: 'bundled',
  image: { channels: 1, height: 28, width: 28, range: [0, 1] },
  latent: { shape: [16], prior: 'standard-normal' },
  graphs: {},
  metrics: {},
  folder: `/models/${id}`,
  fallbacks: [],
  ...extra,
});
