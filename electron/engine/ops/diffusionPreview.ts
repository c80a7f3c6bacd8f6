import { Matrix, solve } from 'ml-matrix';
import { clampedUnitBytes, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';
import { psnr } from '../../common/imageMetrics';
import { NormalStream } from '../diffusion';
import type { RegisteredModel } from '../models/registry';

/**
 * Cheap per-step previews of a diffusion model's samples
 * (ComfyUI's latent → RGB preview matrix is the idea behind the linear one):
 * - pixel models: x itself, average-pooled until its longer side is at most PREVIEW_MAX_SIDE;
 * - latent models with a spatial latent [C, h, w]: the VAE decode, pooled, when the run's decodes fit
 *   DECODED_PREVIEWS_BUDGET_MS at the decoder's measured speed; otherwise a linear map of each latent pixel's
 *   C channels plus a bias to the image's channels, at latent resolution, fitted once against VAE decodes;
 * - latent models with a flat latent: there is no latent grid, so the VAE decode, pooled.
 * Every preview is uint8, so a trajectory of previews costs a quarter of float32 images at most.
 */
export const PREVIEW_MAX_SIDE = 128;

/**
 * What one run may spend decoding its step previews in full (x_t and x̂₀ at every step, and the start). A cost,
 * not a size: a 7×7 projection of a 28×28 model's latent is illegible while its 50-step run at batch 4 decodes in
 * about 0.3 s, where a 256 px VAE's decodes would add seconds to a run of a few hundred milliseconds of denoising.
 */
export const DECODED_PREVIEWS_BUDGET_MS = 2000;

/** Whether a run of `steps` at `batch` decodes its previews in full within the budget, at `msPerImage` a decode. */
export function decodedPreviewsFit(msPerImage: number, steps: number, batch: number, budgetMs = DECODED_PREVIEWS_BUDGET_MS): boolean {
  return (2 * steps + 1) * batch * msPerImage <= budgetMs;
}

/**
 * The decoder's timing is repeated up to TIMING_ROUNDS times while the rounds so far took under TIMING_BUDGET_MS: a
 * small decoder (8 images at 28 px: about 11 ms) is timed three times, a large one (8 at 256 px: over half a second) once.
 */
export const TIMING_ROUNDS = 3;
export const TIMING_BUDGET_MS = 250;

/** Samples of N(0, I) in model space the projection is fitted on, and their seed (fixed, so a fit is reproducible). */
const FIT_SAMPLES = 16;
const FIT_SEED = 20_240_607;

export interface LinearPreview {
  /** [out, C + 1], row-major: each output channel's weights on the C latent channels, then its bias. */
  matrix: Float32Array;
  channels: number;
  /** PSNR (dB) of the projection against the VAE decodes average-pooled to the latent grid, on the fit samples. */
  psnr: number;
  /** The decoder's time per image (ms) on half the fit samples, the other half decoded first: what decoded previews would cost. */
  decodeMsPerImage: number;
}

export interface PreviewSpace {
  /** [channels, height, width] of one preview. */
  shape: number[];
  kind: 'pixels' | 'linear' | 'decode';
  linear?: LinearPreview;
  /** x (batch × sampleSize, model space) as uint8 previews [batch, ...shape]. */
  toPreviews(x: Float32Array, batch: number): Promise<Uint8Tensor>;
  /** A full decode's time per image seen by the run (its final images), for the decoder's cost estimate. */
  observeDecode?(msPerImage: number): void;
}

/**
 * Lowers a decoder's cost estimate to a decode seen since: a decode measured while the engine was busy (sample grids
 * running when Diffuse opens) can only read too slow, so the fastest seen is the decoder's own cost.
 */
export function observeDecode(linear: LinearPreview, msPerImage: number): void {
  if (msPerImage > 0) linear.decodeMsPerImage = Math.min(linear.decodeMsPerImage, msPerImage);
}

/** Averages f × f blocks of [n, c, h, w] images (h and w divisible by f). */
export function averagePool(data: Float32Array, n: number, c: number, h: number, w: number, f: number): Float32Array {
  if (f === 1) return data;
  const [ph, pw] = [h / f, w / f];
  const out = new Float32Array(n * c * ph * pw);
  const norm = 1 / (f * f);
  for (let plane = 0; plane < n * c; plane++) {
    const src = plane * h * w;
    const dst = plane * ph * pw;
    for (let y = 0; y < h; y++) {
      const row = dst + Math.floor(y / f) * pw;
      for (let x = 0; x < w; x++) out[row + Math.floor(x / f)]! += data[src + y * w + x]! * norm;
    }
  }
  return out;
}

/** The smallest pooling factor that divides both sides and brings the longer one to at most maxSide (1 where none does). */
export function poolFactor(h: number, w: number, maxSide = PREVIEW_MAX_SIDE): number {
  for (let f = 1; f <= Math.max(h, w); f++) if (h % f === 0 && w % f === 0 && Math.max(h, w) / f <= maxSide) return f;
  return 1;
}

/**
 * Images [n, c, h, w] in [0, 1] as uint8 planes for display (model.preview, diffusion.preview, a pixel model's step
 * previews), averaged down first by the smallest whole factor that brings the longer side to at most maxSide.
 */
export function displayBytes(images: Float32Tensor, maxSide = Infinity): Uint8Tensor {
  const [n = 1, c = 1, h = 1, w = 1] = images.shape;
  const f = poolFactor(h, w, maxSide);
  return { dtype: 'uint8', shape: f > 1 ? [n, c, h / f, w / f] : images.shape, data: clampedUnitBytes(averagePool(images.data, n, c, h, w, f)) };
}

/** Applies a [out, C + 1] projection to latents [n, C, h, w]: images [n, out, h, w], unclamped. */
export function projectLatents(p: LinearPreview, x: Float32Array, n: number, c: number, plane: number): Float32Array {
  const out = new Float32Array(n * p.channels * plane);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < p.channels; o++) {
      const row = o * (c + 1);
      const dst = (s * p.channels + o) * plane;
      out.fill(p.matrix[row + c]!, dst, dst + plane);
      for (let ch = 0; ch < c; ch++) {
        const weight = p.matrix[row + ch]!;
        const src = (s * c + ch) * plane;
        for (let i = 0; i < plane; i++) out[dst + i]! += weight * x[src + i]!;
      }
    }
  return out;
}

/**
 * Least squares of the decoded images, pooled to the latent grid, on each latent pixel's channels and a bias:
 * one small (C + 1) system per output channel, from FIT_SAMPLES latents of N(0, I) in model space.
 */
export async function fitLinearPreview(
  latentShape: number[],
  image: { channels: number; height: number; width: number },
  decode: (x: Float32Array, batch: number) => Promise<Float32Array>,
): Promise<LinearPreview> {
  const [c, h, w] = latentShape as [number, number, number];
  const plane = h * w;
  const x = new NormalStream(FIT_SEED).next(FIT_SAMPLES * c * plane);
  // In two halves, the second one timed: a session's first run at a batch size also allocates, which the cost of
  // decoding previews must not count (it measured 2.5 ms an image for fmnist-vae-spatial at batch 16 where the
  // sampling loop's decodes take 1.4).
  const half = (FIT_SAMPLES / 2) * c * plane;
  const decoded = new Float32Array(FIT_SAMPLES * image.channels * image.height * image.width);
  decoded.set(await decode(x.subarray(0, half), FIT_SAMPLES / 2));
  // Timed again while that stays cheap, keeping the fastest: one decode slowed by another process (a busy machine)
  // read over 7× the 1.4 ms of fmnist-vae-spatial and turned its 28 px previews into 7×7 projections for the session.
  let decodeMsPerImage = Infinity;
  for (let round = 0, spent = 0; round < TIMING_ROUNDS && spent < TIMING_BUDGET_MS; round++) {
    const started = performance.now();
    const images = await decode(x.subarray(half), FIT_SAMPLES / 2);
    const ms = performance.now() - started;
    if (round === 0) decoded.set(images, decoded.length / 2);
    spent += ms;
    decodeMsPerImage = Math.min(decodeMsPerImage, ms / (FIT_SAMPLES / 2));
  }
  const target = averagePool(decoded, FIT_SAMPLES, image.channels, image.height, image.width, image.height / h);
  const k = c + 1;
  // Normal equations XᵀX w = Xᵀy, with a whisper of ridge so a dead latent channel cannot make XᵀX singular.
  const xtx = new Float64Array(k * k);
  const xty = Array.from({ length: image.channels }, () => new Float64Array(k));
  const feature = new Float64Array(k);
  for (let s = 0; s < FIT_SAMPLES; s++)
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < c; ch++) feature[ch] = x[(s * c + ch) * plane + i]!;
      feature[c] = 1;
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) xtx[a * k + b]! += feature[a]! * feature[b]!;
      for (let o = 0; o < image.channels; o++) {
        const y = target[(s * image.channels + o) * plane + i]!;
        for (let a = 0; a < k; a++) xty[o]![a]! += feature[a]! * y;
      }
    }
  for (let a = 0; a < k; a++) xtx[a * k + a]! += 1e-6 * FIT_SAMPLES * plane;
  // One solve for every output channel: the columns of Xᵀy are the right-hand sides.
  const weights = solve(new Matrix(Array.from({ length: k }, (_, a) => Array.from(xtx.subarray(a * k, (a + 1) * k)))), new Matrix(Array.from({ length: k }, (_, a) => xty.map((b) => b[a]!))));
  const matrix = new Float32Array(image.channels * k);
  for (let o = 0; o < image.channels; o++) for (let a = 0; a < k; a++) matrix[o * k + a] = weights.get(a, o);
  const fit: LinearPreview = { matrix, channels: image.channels, psnr: 0, decodeMsPerImage };
  const predicted = projectLatents(fit, x, FIT_SAMPLES, c, plane).map((v) => Math.min(1, Math.max(0, v)));
  fit.psnr = psnr(predicted, target);
  return fit;
}

/**
 * Fitted projections, one per decoder model and latent scale and shift: a reloaded (changed) decoder is a new
 * RegisteredModel, so it misses the cache and is fitted again; the old entry goes with the old object.
 */
const fitted = new WeakMap<RegisteredModel, Map<string, Promise<LinearPreview>>>();

export function cachedLinearPreview(decoder: RegisteredModel, key: string, fit: () => Promise<LinearPreview>): Promise<LinearPreview> {
  let byKey = fitted.get(decoder);
  if (!byKey) fitted.set(decoder, (byKey = new Map()));
  let entry = byKey.get(key);
  if (!entry) {
    entry = fit();
    byKey.set(key, entry);
    entry.catch(() => byKey.delete(key));
  }
  return entry;
}
