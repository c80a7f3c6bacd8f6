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

/** Fields added later with defaults count only when set otherwise, so older models keep their fingerprints. */
function withoutDefaults(diffusion: NonNullable<RegisteredModel['manifest']['diffusion']>): Record<string, unknown> {
  const { spacing, offset, ...rest } = diffusion;
  return { ...rest, ...(spacing !== 'linspace' ? { spacing } : {}), ...(offset !== 0 ? { offset } : {}) };
}

/** How the manifest says to feed the graphs (image range, latent shape, diffusion schedule), as both identities below take it. */
const feeding = ({ image, latent, diffusion }: RegisteredModel['manifest']) => ({ image, latent, diffusion: diffusion && withoutDefaults(diffusion) });

/** The model's graphs by role, in a fixed order, with their paths. */
const graphPaths = (model: RegisteredModel) => Object.keys(model.manifest.graphs).sort().map((role) => [role, join(model.folder, model.manifest.graphs[role]!.file)] as const);

/**
 * What a latent code depends on: the graphs' bytes and how the manifest says
 * to feed them (image range, latent shape, diffusion schedule). Names,
 * descriptions and metrics may change without changing what a code means.
 */
export async function modelFingerprint(model: RegisteredModel): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(feeding(model.manifest)));
  for (const [role, path] of graphPaths(model)) hash.update(`\0${role}\0${await fileDigest(path)}`);
  return hash.digest('hex');
}

/**
 * What identifies a model's graphs within this process, without reading them: each graph's path, size and modification
 * time, with the manifest fields modelFingerprint takes. For what lives no longer than the process (the pictures
 * model.preview keeps): hashing every graph first made the first sample grid of a cold start wait while 13 MB of the
 * DCGAN's graphs were read and hashed (its decode began about 0.2 s after the call here).
 */
export async function modelVersion(model: RegisteredModel): Promise<string> {
  const files = await Promise.all(graphPaths(model).map(async ([role, path]) => {
    const info = await stat(path);
    return [role, path, info.size, info.mtimeMs];
  }));
  return JSON.stringify({ ...feeding(model.manifest), files });
}
