import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegisteredModel } from './registry';

/** File digests by path, size and modification time: graphs are hashed once per change, not once per save. */
const fileDigests = new Map<string, string>();

export async function fileDigest(path: string): Promise<string> {
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  const known = fileDigests.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  fileDigests.set(key, digest);
  return digest;
}

/**
 * What a latent code depends on: the graphs' bytes and how the manifest says
 * to feed them (image range, latent shape, diffusion schedule). Names,
 * descriptions and metrics may change without changing what a code means.
 */
/** Fields added later with defaults count only when set otherwise, so older models keep their fingerprints. */
function withoutDefaults(diffusion: NonNullable<RegisteredModel['manifest']['diffusion']>): Record<string, unknown> {
  const { spacing, offset, ...rest } = diffusion;
  return { ...rest, ...(spacing !== 'linspace' ? { spacing } : {}), ...(offset !== 0 ? { offset } : {}) };
}

export async function modelFingerprint(model: RegisteredModel): Promise<string> {
  const { graphs, image, latent, diffusion } = model.manifest;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ image, latent, diffusion: diffusion && withoutDefaults(diffusion) }));
  for (const role of Object.keys(graphs).sort()) {
    hash.update(`\0${role}\0${await fileDigest(join(model.folder, graphs[role]!.file))}`);
  }
  return hash.digest('hex');
}

/**
 * What identifies a model's graphs within this process, without reading them: each graph's path, size and modification
 * time, with the manifest fields modelFingerprint takes. For what lives no longer than the process (the pictures
 * model.preview keeps): hashing every graph first made the first sample grid of a cold start wait while 13 MB of the
 * DCGAN's graphs were read and hashed (its decode began about 0.2 s after the call here).
 */
export async function modelVersion(model: RegisteredModel): Promise<string> {
  const { graphs, image, latent, diffusion } = model.manifest;
  const files = await Promise.all(
    Object.keys(graphs)
      .sort()
      .map(async (role) => {
        const path = join(model.folder, graphs[role]!.file);
        const info = await stat(path);
        return [role, path, info.size, info.mtimeMs];
      }),
  );
  return JSON.stringify({ image, latent, diffusion: diffusion && withoutDefaults(diffusion), files });
}
