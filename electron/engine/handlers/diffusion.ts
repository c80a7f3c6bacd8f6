import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { NormalStream, qSample } from '../diffusion';
import { decodeForDisplay } from '../ops/displayDecode';
import { exportGif } from '../ops/gif';
import { DiffusionSpace, sampleTrajectory } from '../ops/diffusionSampling';
import { timed, type EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function diffusionHandlers(ctx: EngineContext): Pick<Handlers, 'diffusion.schedule' | 'diffusion.forward' | 'diffusion.sample' | 'diffusion.decode' | 'diffusion.preview' | 'diffusion.exportGif'> {
  const spaceOf = (model: string) => new DiffusionSpace(ctx.host, ctx.host.model(model));
  const checkT = (space: DiffusionSpace, t: number, field: string) => {
    if (t >= space.schedule.timesteps) throw new ApiError('bad-input', `timestep ${t} is past the schedule's last step ${space.schedule.timesteps - 1}`, field);
  };
  /** Samples in model space [batch, ...] as images at full resolution in [0, 1]. */
  const decodeSamples = (model: string, x: Float32Tensor) => {
    const space = spaceOf(model);
    const batch = x.shape[0] ?? 0;
    if (batch === 0 || x.data.length !== batch * space.sampleSize) {
      throw new ApiError('bad-input', `model "${model}" samples have shape [batch, ${space.sampleShape.join(', ')}]; got [${x.shape.join(', ')}]`, 'args.x.shape');
    }
    return space.toImages(x.data, batch);
  };
  /** Samples as diffusion.preview gives them: 8-bit planes at full resolution. */
  const displayed = (model: string, x: Float32Tensor) => {
    const { channels, height, width } = ctx.host.model(model).manifest.image;
    return decodeForDisplay(x, channels * height * width, (piece) => decodeSamples(model, piece));
  };
  return {
    'diffusion.schedule': async ({ model }) => {
      const space = spaceOf(model);
      return {
        timesteps: space.schedule.timesteps,
        betas: float32Tensor([space.schedule.timesteps], Float32Array.from(space.schedule.betas)),
        alphasCumprod: float32Tensor([space.schedule.timesteps], Float32Array.from(space.schedule.alphasCumprod)),
        space: space.model.manifest.diffusion!.space,
      };
    },
    'diffusion.forward': async ({ model, image, t, seed, lane }, call) => {
      const space = spaceOf(model);
      t.forEach((step, i) => checkT(space, step, `args.t.${i}`));
      if (image.shape[0] !== 1) throw new ApiError('bad-input', 'give one image [1, c, h, w]', 'args.image.shape');
      const work = async () => {
        const x0 = await space.fromImages(image);
        const noise = new NormalStream(seed).next(x0.length);
        const noised = new Float32Array(t.length * x0.length);
        t.forEach((step, i) => noised.set(qSample(space.schedule, x0, step, noise), i * x0.length));
        return { images: await space.toImages(noised, t.length) };
      };
      return ctx.lanes.onLane(call.client, lane, work);
    },
    'diffusion.sample': async ({ model, sampler, steps, seed, batch, resume, init, label, guidance }, call) => {
      const space = spaceOf(model);
      if (steps > space.schedule.timesteps) throw new ApiError('bad-input', `at most ${space.schedule.timesteps} steps`, 'args.steps');
      if (init) checkT(space, init.t0, 'args.init.t0');
      const { value, ms } = await timed(() =>
        sampleTrajectory(ctx.host, space, { sampler, steps, seed, batch, resume: resume && { x: resume.x.data, t: resume.t }, init, label, guidance }, call),
      );
      return { ...value, ms };
    },
    'diffusion.decode': async ({ model, x, lane }, call) => ctx.lanes.onLane(call.client, lane, async () => ({ images: await decodeSamples(model, x) })),
    'diffusion.preview': async ({ model, x, lane }, call) => ctx.lanes.onLane(call.client, lane, async () => ({ images: await displayed(model, x) })),
    'diffusion.exportGif': async ({ model, x, scale, frameMs }) => ({ gif: await exportGif(await displayed(model, x), scale, frameMs) }),
  };
}
