import type { ModelSummary } from '../../../electron/api/contract';

/** Models whose codes decode to images: VAEs, autoencoders and GAN generators. */
export const decodesCodes = (m: ModelSummary) => (m.kind === 'vae' || m.kind === 'autoencoder' || m.kind === 'gan') && !!m.latent;

/** Models that can also encode images to codes (a GAN only with its encoder graph). */
export const encodesImages = (m: ModelSummary) => decodesCodes(m) && (m.kind !== 'gan' || 'encoder' in m.graphs);
