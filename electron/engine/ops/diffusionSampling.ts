import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { createSampler, interpretOutput, NormalStream, qSample, type NoiseSchedule, type SamplerSpec } from '../diffusion';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { noiseScheduleOf, predictGuided } from './denoise';
import type { JobContext } from './datasetEncode';
import { fromUnitRange, toUnitRange } from './imageRange';
import { decodeLatents, encodeImages } from './latentCodec';

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

  /** Clamp x_0 predictions to the data range in pixel space (diffusers' clip_sample); latent codes are unbounded. */
  get clip(): [number, number] | undefined {
    return this.latent ? undefined : ([...this.model.manifest.image.range] as [number, number]);
  }
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
  xt: Float32Tensor;
  x0: Float32Tensor;
}

export interface Trajectory {
  /** The timesteps run, in order; position 0 of xt is the starting point before the first of them. */
  timesteps: number[];
  /** √(1 − ᾱ_t) at each position (0 after the last step). */
  noiseLevels: number[];
  xt: Float32Tensor;
  x0: Float32Tensor;
  /** x_t in model space at every position, for branching. */
  raw: Float32Tensor;
}

/** Runs a sampler over a diffusion model, streaming each step's x_t and predicted x_0 as images. */
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
  const imageSize = (await space.toImages(x.subarray(0, space.sampleSize), 1)).data.length;
  const xt = new Float32Array((timesteps.length + 1) * batch * imageSize);
  const x0 = new Float32Array(timesteps.length * batch * imageSize);
  const raw = new Float32Array((timesteps.length + 1) * size);
  raw.set(x, 0);
  xt.set((await space.toImages(x, batch)).data, 0);
  const abar = space.schedule.alphasCumprod;
  const { prediction, conditioning } = space.model.manifest.diffusion!;
  const guidance = request.guidance ?? conditioning?.guidance ?? 1;

  for (const [i, t] of timesteps.entries()) {
    if (ctx.signal.aborted) throw new ApiError('cancelled', 'sampling was cancelled');
    const output = await predictGuided(host, space.model.manifest.id, float32Tensor([batch, ...space.sampleShape], x), new Array(batch).fill(t), request.label ?? null, guidance);
    // x̂_0 comes from the model's own parameterization: the guided prediction's, so x̂_0 shown is the guided one.
    const { eps, x0: predicted } = interpretOutput(space.schedule, prediction, output.data, t, x, space.clip);
    const { prevSample, predOriginalSample } = sampler.step(eps, t, x, noise.next(size), prediction === 'epsilon' ? undefined : predicted);
    x = prevSample;
    raw.set(x, (i + 1) * size);
    const [xtImages, x0Images] = await Promise.all([space.toImages(x, batch), space.toImages(predOriginalSample, batch)]);
    xt.set(xtImages.data, (i + 1) * batch * imageSize);
    x0.set(x0Images.data, i * batch * imageSize);
    ctx.progress({ step: i + 1, total: timesteps.length, t, xt: xtImages, x0: x0Images });
  }

  const imageShape = [batch, ...(await space.toImages(raw.subarray(0, space.sampleSize), 1)).shape.slice(1)];
  return {
    timesteps,
    noiseLevels: [...timesteps.map((t) => Math.sqrt(1 - abar[t]!)), 0],
    xt: float32Tensor([timesteps.length + 1, ...imageShape], xt),
    x0: float32Tensor([timesteps.length, ...imageShape], x0),
    raw: float32Tensor([timesteps.length + 1, batch, ...space.sampleShape], raw),
  };
}
