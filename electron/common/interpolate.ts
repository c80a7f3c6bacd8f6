/**
 * Interpolation between latent codes (pure; shared by engine and renderer).
 * slerp follows Shoemake (1985) as used for GAN latents by White (2016):
 * it keeps codes at the norm the prior expects instead of cutting through
 * the low-density middle of the Gaussian as lerp does.
 */
export type Method = 'lerp' | 'slerp';

export function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number, out = new Float32Array(a.length)): Float32Array {
  for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i]! + t * b[i]!;
  return out;
}

/** Spherical interpolation of the directions, with the norm interpolated linearly. Exact at t = 0 and t = 1. */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number, out = new Float32Array(a.length)): Float32Array {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let i = 0; i < a.length; i++) {
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    dot += a[i]! * b[i]!;
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  const cos = Math.min(1, Math.max(-1, dot / (na * nb || 1)));
  const omega = Math.acos(cos);
  if (t <= 0 || t >= 1 || omega < 1e-6 || na === 0 || nb === 0) return lerp(a, b, t <= 0 ? 0 : t >= 1 ? 1 : t, out);
  const sin = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / sin;
  const wb = Math.sin(t * omega) / sin;
  const norm = (1 - t) * na + t * nb;
  for (let i = 0; i < a.length; i++) out[i] = norm * (wa * (a[i]! / na) + wb * (b[i]! / nb));
  return out;
}

/**
 * Codes for `frames` evenly timed frames along keyframes k0 … kK−1 (flattened, `dim` each);
 * `durations` (one per segment) stretch some segments over more of the frames.
 * The first frame is exactly k0 and the last exactly kK−1.
 */
export function interpolatePath(keyframes: Float32Array, dim: number, frames: number, method: Method, durations?: number[]): Float32Array {
  const count = keyframes.length / dim;
  if (!Number.isInteger(count) || count < 2) throw new Error('interpolation needs at least two keyframes');
  const segments = count - 1;
  const weights = durations ?? new Array<number>(segments).fill(1);
  if (weights.length !== segments || weights.some((w) => !(w > 0))) throw new Error(`give one positive duration per segment (${segments})`);
  const total = weights.reduce((a, b) => a + b, 0);
  const ends = weights.reduce<number[]>((acc, w) => [...acc, (acc.at(-1) ?? 0) + w / total], []);
  const step = method === 'slerp' ? slerp : lerp;
  const out = new Float32Array(frames * dim);
  for (let f = 0; f < frames; f++) {
    const time = frames === 1 ? 0 : f / (frames - 1);
    const segment = Math.min(segments - 1, ends.findIndex((end) => time <= end + 1e-12));
    const start = segment === 0 ? 0 : ends[segment - 1]!;
    const local = f === frames - 1 ? 1 : (time - start) / (ends[segment]! - start);
    const a = keyframes.subarray(segment * dim, (segment + 1) * dim);
    const b = keyframes.subarray((segment + 1) * dim, (segment + 2) * dim);
    step(a, b, local, out.subarray(f * dim, (f + 1) * dim));
  }
  return out;
}
