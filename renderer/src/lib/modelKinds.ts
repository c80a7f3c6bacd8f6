import type { ModelSummary } from '../../../electron/api/contract';

/** Models whose codes decode to images: VAEs, autoencoders and GAN generators. */
export const decodesCodes = (m: ModelSummary) => (m.kind === 'vae' || m.kind === 'autoencoder' || m.kind === 'gan') && !!m.latent;

/** Models that can also encode images to codes (a GAN only with its encoder graph). */
export const encodesImages = (m: ModelSummary) => decodesCodes(m) && (m.kind !== 'gan' || 'encoder' in m.graphs);

/** A PCA model (Models ▸ PCA as a model): a linear encoder and decoder, the baseline for the autoencoder and the VAE. */
export const isPca = (m: ModelSummary) => m.kind === 'autoencoder' && !!m.method?.startsWith('PCA');

type ImageSpec = Pick<ModelSummary['image'], 'channels' | 'height' | 'width'>;

/** The image size a model takes, as a person reads it: 64×64×3. */
export const imageSize = (image: ImageSpec) => `${image.width}×${image.height}×${image.channels}`;

/** Whether two models (or a model and a dataset) share an image size and channel count. */
export const sameImages = (a: ImageSpec, b: ImageSpec) => a.channels === b.channels && a.height === b.height && a.width === b.width;

/** The classifier the model's manifest names, else one that takes its images, if the library has one (the bundled one reads 28×28×1 only). */
export const classifierFor = (models: readonly ModelSummary[], model: ModelSummary | undefined) => {
  if (!model) return undefined;
  const fits = (m: ModelSummary) => m.kind === 'classifier' && sameImages(m.image, model.image);
  return models.find((m) => m.id === model.classifier && fits(m)) ?? models.find(fits);
};

/** One line saying which classifier is missing, for views that read class probabilities. */
export const noClassifierNote = (model: ModelSummary) => `No classifier in the library takes ${imageSize(model.image)} images: add one in Models to read class probabilities here.`;
