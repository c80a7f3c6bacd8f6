import { ApiError } from '../../api/errors';
import { clampedUnitBytes, float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';
import { createSampler, interpretOutput, NormalStream, qSample, type NoiseSchedule, type SamplerSpec } from '../diffusion';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { noiseScheduleOf, predictGuided } from './denoise';
import type { JobContext } from './datasetEncode';
import { fromUnitRange, toUnitRange } from './imageRange';
import { decodeLatents, encodeImages } from './latentCodec';
import { cachedLinearPreview, decodedPreviewsFit, displayBytes, fitLinearPreview, observeDecode, poolFactor, PREVIEW_MAX_SIDE, projectLatents, type PreviewSpace } from './diffusionPreview';

/**
 * A diffusion model's sample space and how to see it: pixel models show x
 * itself; latent models decode x / scale + shift through their VAE.
 */
export class DiffusionSpace {
  readonly schedule: NoiseSchedule;
  readonly sampleShape: number[];
  readonly sampleSize: number;

  constructor(
    private readonly host: ModelHost,
    readonly model: RegisteredModel,
  ) {
    const diffusion = model.manifest.diffusion;
    if (model.manifest.kind !== 'diffusion' || !diffusion) throw new ApiError('bad-input', `model "${model.manifest.id}" is not a diffusion model`, 'args.model');
    this.schedule = noiseScheduleOf(diffusion);
    const { channels, height, width } = model.manifest.image;
    this.sampleShape = diffusion.space === 'latent' ? model.manifest.latent!.shape : [channels, height, width];
    this.sampleSize = this.sampleShape.reduce((a, b) => a * b, 1);
  }

  private get latent() {
    const d = this.model.manifest.diffusion!;
    const latent = this.model.manifest.latent;
    return d.space === 'latent' ? { decoder: d.decoder!, scale: latent?.scale ?? 1, shift: latent?.shift ?? 0 } : undefined;
  }

  /** Samples x (batch × sampleSize, in model space) as images in [0, 1]. */
  async toImages(x: Float32Array, batch: number): Promise<Float32Tensor> {
    const latent = this.latent;
    if (!latent) return float32Tensor([batch, ...this.sampleShape], toUnitRange(x, this.model.manifest.image.range));
    return decodeLatents(this.host, latent.decoder, float32Tensor([batch, ...this.sampleShape], x.map((v) => v / latent.scale + latent.shift)));
  }

  /** Images in [0, 1] into model space (latent models encode them to their VAE's posterior mean). */
  async fromImages(images: Float32Tensor): Promise<Float32Array> {
    const latent = this.latent;
    if (!latent) return fromUnitRange(images.data, this.model.manifest.image.range);
    const { mean } = await encodeImages(this.host, latent.decoder, images);
    return mean.data.map((v) => (v - latent.shift) * latent.scale);
  }

  /**
   * The previews of a run of `steps` at `batch` (see diffusionPreview.ts): for a spatial latent, the decode where the
   * run's decodes fit their budget at the decoder's measured speed, else the linear projection; both fitted and
   * measured once per decoder, on first use.
   */
  async preview(run: { steps: number; batch: number }): Promise<PreviewSpace> {
    const { channels, height, width } = this.model.manifest.image;
    const latent = this.latent;
    const [c, h, w] = this.sampleShape as [number, number, number];
    const spatial = latent && this.sampleShape.length === 3 && height % h === 0 && width % w === 0 && height / h === width / w;
    const f = poolFactor(height, width);
    const decoded: PreviewSpace = {
      kind: latent ? 'decode' : 'pixels',
      shape: [channels, height / f, width / f],
      toPreviews: async (x, batch) => displayBytes(await this.toImages(x, batch), PREVIEW_MAX_SIDE),
    };
    if (!latent || !spatial) return decoded; // pixel models and flat latents: the image itself, pooled down
    const decoder = this.host.model(latent.decoder);
    const linear = await cachedLinearPreview(decoder, `${latent.scale}:${latent.shift}:${this.sampleShape.join('x')}`, () =>
      fitLinearPreview(this.sampleShape, this.model.manifest.image, async (x, batch) => (await this.toImages(x, batch)).data),
    );
    const observe = (msPerImage: number) => observeDecode(linear, msPerImage);
    if (decodedPreviewsFit(linear.decodeMsPerImage, run.steps, run.batch)) return { ...decoded, observeDecode: observe };
    return {
      kind: 'linear',
      linear,
      shape: [channels, h, w],
      toPreviews: async (x, batch) => uint8Tensor([batch, channels, h, w], clampedUnitBytes(projectLatents(linear, x, batch, c, h * w))),
      observeDecode: observe,
    };
  }

  /** Clamp x_0 predictions to the data range in pixel space (diffusers' clip_sample); latent codes are unbounded. */
  get clip(): [number, number] | undefined {
    return this.latent ? undefined : ([...this.model.manifest.image.range] as [number, number]);
  }
}

const uint8Tensor = (shape: number[], data: Uint8Array): Uint8Tensor => ({ dtype: 'uint8', shape, data });

/**
 * The most bytes of raw x_t and x̂₀ (float32, model space) a trajectory keeps for branching and full decodes.
 * Within it every position is kept; past it, evenly spaced positions (at least RAW_MIN_POSITIONS, first and last
 * included), so a 1000-step run at batch 16 costs what a short one does.
 */
export const RAW_BUDGET_BYTES = 4 * 1024 * 1024;
export const RAW_MIN_POSITIONS = 65;

/**
 * The most bytes of uint8 previews (x_t and x̂₀) a trajectory keeps. Within it every position has its previews (a
 * 1000-step run of a 256 px latent model at batch 4 keeps every other step); past it, evenly spaced positions (at
 * least PREVIEW_MIN_POSITIONS), so that what a run sends and the page holds does not grow with steps × batch.
 */
export const PREVIEW_BUDGET_BYTES = 12 * 1024 * 1024;
export const PREVIEW_MIN_POSITIONS = 101;

/** The positions (0 … count − 1) a trajectory keeps within `budget` bytes, at least `min` (first and last included), ascending. */
export function storedPositions(count: number, bytesPerPosition: number, budget = RAW_BUDGET_BYTES, min = RAW_MIN_POSITIONS): number[] {
  const kept = Math.min(count, Math.max(min, Math.floor(budget / bytesPerPosition)));
  if (kept >= count) return Array.from({ length: count }, (_, i) => i);
  return [...new Set(Array.from({ length: kept }, (_, i) => Math.round((i * (count - 1)) / (kept - 1))))];
}

export interface SampleRequest {
  sampler: SamplerSpec;
  steps: number;
  seed: number;
  batch: number;
  /** Continue an earlier trajectory from x at timestep t (branching). */
  resume?: { x: Float32Array; t: number };
  /** Image-to-image (SDEdit, Meng et al. 2022): noise these images to t0 with q(x_t0|x_0), then denoise. */
  init?: { images: Float32Tensor; t0: number };
  /** A conditional model's class (absent: its null class) and the guidance scale. */
  label?: number;
  guidance?: number;
}

export interface StepProgress {
  step: number;
  total: number;
  t: number;
  xt: Uint8Tensor;
  x0: Uint8Tensor;
}

export interface Trajectory {
  /** The timesteps run, in order; position 0 of xt is the starting point before the first of them. */
  timesteps: number[];
  /** √(1 − ᾱ_t) at each position (0 after the last step). */
  noiseLevels: number[];
  /** The positions whose previews are kept, ascending (all within PREVIEW_BUDGET_BYTES; always the first and the last). */
  previews: number[];
  /** Previews of x_t at those positions, [previews, batch, c, ph, pw]. */
  xt: Uint8Tensor;
  /** What the previews are: x itself, the decode, or the linear projection at latent resolution. */
  previewKind: PreviewSpace['kind'];
  /** Previews of x̂₀, [previews − 1, batch, c, ph, pw]; x0[k] is shown at position previews[k + 1]. */
  x0: Uint8Tensor;
  /** The last position's x_t at full resolution in [0, 1], [batch, c, h, w]. */
  final: Float32Tensor;
  /** The positions whose raw values are kept, ascending (always the first and the last). */
  stored: number[];
  /** x_t in model space at the stored positions, [stored, batch, ...], for branching and full decodes. */
  raw: Float32Tensor;
  /** x̂₀ in model space shown at the stored positions, [stored, batch, ...] (zeros at position 0, before any prediction). */
  rawX0: Float32Tensor;
}

/** Runs a sampler over a diffusion model, streaming each step's x_t and predicted x_0 as cheap uint8 previews. */
export async function sampleTrajectory(host: ModelHost, space: DiffusionSpace, request: SampleRequest, ctx: JobContext<StepProgress>): Promise<Trajectory> {
  const { batch } = request;
  const size = space.sampleSize * batch;
  const sampler = createSampler(space.schedule, request.sampler, space.clip);
  const all = sampler.setTimesteps(request.steps);
  const noise = new NormalStream(request.seed);

  let start = 0;
  let x: Float32Array;
  if (request.resume) {
    start = all.indexOf(request.resume.t);
    if (start < 0) throw new ApiError('bad-input', `timestep ${request.resume.t} is not one of the ${request.steps} steps`, 'args.resume.t');
    if (request.resume.x.length !== size) throw new ApiError('bad-input', `resume.x has ${request.resume.x.length} values; ${batch} samples need ${size}`, 'args.resume.x');
    x = request.resume.x;
  } else if (request.init) {
    start = all.findIndex((t) => t <= request.init!.t0);
    if (request.init.images.shape[0] !== batch) throw new ApiError('bad-input', `give ${batch} init images`, 'args.init.images');
    const x0 = await space.fromImages(request.init.images);
    x = qSample(space.schedule, x0, all[start]!, noise.next(size));
  } else {
    x = noise.next(size);
  }

  const timesteps = all.slice(start);
  const preview = await space.preview({ steps: timesteps.length, batch });
  const previewSize = batch * preview.shape.reduce((a, b) => a * b, 1);
  const previews = storedPositions(timesteps.length + 1, 2 * previewSize, PREVIEW_BUDGET_BYTES, PREVIEW_MIN_POSITIONS);
  const previewSlot = new Map(previews.map((p, i) => [p, i]));
  const xt = new Uint8Array(previews.length * previewSize);
  const x0 = new Uint8Array((previews.length - 1) * previewSize);
  const stored = storedPositions(timesteps.length + 1, 2 * size * 4);
  const slot = new Map(stored.map((p, i) => [p, i]));
  const raw = new Float32Array(stored.length * size);
  const rawX0 = new Float32Array(stored.length * size);
  raw.set(x, 0);
  xt.set((await preview.toPreviews(x, batch)).data, 0);
  const abar = space.schedule.alphasCumprod;
  const { prediction, conditioning } = space.model.manifest.diffusion!;
  const guidance = request.guidance ?? conditioning?.guidance ?? 1;

  for (const [i, t] of timesteps.entries()) {
    if (ctx.signal.aborted) throw new ApiError('cancelled', 'sampling was cancelled');
    const output = await predictGuided(host, space.model.manifest.id, float32Tensor([batch, ...space.sampleShape], x), new Array(batch).fill(t), request.label ?? null, guidance);
    // x̂_0 comes from the model's own parameterization: the guided prediction's, so x̂_0 shown is the guided one.
    const { eps, x0: predicted } = interpretOutput(space.schedule, prediction, output.data, t, x, space.clip);
    const given = prediction === 'epsilon' ? undefined : predicted;
    // Deterministic DDIM adds no noise: drawing it anyway cost 13 ms and 3 MB of garbage a 50-step run at batch 4 (256 px).
    const { prevSample, predOriginalSample } = sampler.step(eps, t, x, sampler.usesNoise ? noise.next(size) : undefined, given);
    x = prevSample;
    const at = slot.get(i + 1);
    if (at !== undefined) {
      raw.set(x, at * size);
      rawX0.set(predOriginalSample, at * size);
    }
    const [xtPreview, x0Preview] = await Promise.all([preview.toPreviews(x, batch), preview.toPreviews(predOriginalSample, batch)]);
    const kept = previewSlot.get(i + 1);
    if (kept !== undefined) {
      xt.set(xtPreview.data, kept * previewSize);
      x0.set(x0Preview.data, (kept - 1) * previewSize);
    }
    ctx.progress({ step: i + 1, total: timesteps.length, t, xt: xtPreview, x0: x0Preview });
  }

  const decodeStarted = performance.now();
  const final = await space.toImages(x, batch);
  preview.observeDecode?.((performance.now() - decodeStarted) / batch);
  const previewShape = [batch, ...preview.shape];
  return {
    timesteps,
    noiseLevels: [...timesteps.map((t) => Math.sqrt(1 - abar[t]!)), 0],
    previews,
    xt: uint8Tensor([previews.length, ...previewShape], xt),
    previewKind: preview.kind,
    x0: uint8Tensor([previews.length - 1, ...previewShape], x0),
    final,
    stored,
    raw: float32Tensor([stored.length, batch, ...space.sampleShape], raw),
    rawX0: float32Tensor([stored.length, batch, ...space.sampleShape], rawX0),
  };
}
