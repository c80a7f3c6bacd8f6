import type { ModelSummary } from '../../../../electron/api/contract';
import { isPca } from '../../lib/modelKinds';

/** The three kinds of latent space the comparison sets side by side, in the order a course tells them. */
export type SpaceRole = 'pca' | 'autoencoder' | 'vae';
export const ROLES: readonly SpaceRole[] = ['pca', 'autoencoder', 'vae'];
// A VAE without a prior (a Stable-Diffusion-style VAE, its KL term tiny) has an autoencoder's unregularised space.
export const roleOf = (m: ModelSummary): SpaceRole | undefined => {
  if (isPca(m)) return 'pca';
  if (m.kind === 'vae') return m.latent?.prior === 'none' ? 'autoencoder' : 'vae';
  return m.kind === 'autoencoder' ? 'autoencoder' : undefined;
};

export const ROLE_NAMES: Record<SpaceRole, string> = { pca: 'PCA', autoencoder: 'AE', vae: 'VAE' };
export const comparisonName = (roles: SpaceRole[]) => `Compare ${roles.map((r) => ROLE_NAMES[r]).join(', ').replace(/, (?=[^,]*$)/, ' and ')}`;

/** Up to 8 images to reconstruct: the first of each label, then the first images, so every class shows where the labels allow. */
export function reconstructionIndices(labels: readonly number[], count = 8): number[] {
  const picked: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < labels.length && picked.length < count; i++) {
    if (seen.has(labels[i]!)) continue;
    seen.add(labels[i]!);
    picked.push(i);
  }
  for (let i = 0; i < labels.length && picked.length < count; i++) if (!picked.includes(i)) picked.push(i);
  return picked.sort((a, b) => a - b);
}
