import { classifyImages } from '../ops/classify';
import { DEFAULT_INVERSION, invertImage } from '../ops/inversion';
import { predictOutput } from '../ops/denoise';
import { decodeLatents, encodeImages } from '../ops/latentCodec';
import { decodeInSpace, decodeTruncated, mapCodes, styleSpaceOf, type CodeSpace } from '../ops/styleSpace';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { decodeForDisplay, displayJob, type DisplayJob } from '../ops/displayDecode';
import { priorCodes } from '../ops/priorCodes';
import { modelVersion } from '../models/fingerprint';
import { timed, type EngineContext } from '../context';
import { withPriority } from '../runtime/priority';
import type { Handlers } from '../dispatch';

export function modelHandlers(ctx: EngineContext): Pick<Handlers, 'model.decode' | 'model.preview' | 'model.map' | 'model.encode' | 'model.denoise' | 'model.classify' | 'gan.invert'> {
  const decode = ({ model, z, space, truncation }: { model: string; z: Float32Tensor; space?: CodeSpace; truncation?: number }) => {
    if (space && space !== 'z') return decodeInSpace(ctx.host, ctx.host.model(model), space, z);
    // ψ = 1 is the generator itself: only a real truncation goes through mapping and synthesis.
    if (truncation !== undefined && truncation !== 1) return decodeTruncated(ctx.host, ctx.host.model(model), z, truncation);
    return decodeLatents(ctx.host, model, z);
  };
  return {
    'model.decode': async (args, call) => {
      const { value, ms } = await ctx.lanes.onLane(call.client, args.lane, () => timed(() => decode(args)));
      return { images: value, ms };
    },
    'model.preview': async ({ maxSide, progressive, reuse, priority, prior, ...given }, call) => {
      const registered = ctx.host.model(given.model);
      const { channels, height, width } = registered.manifest.image;
      const latent = registered.manifest.latent;
      if (prior && !latent) throw new ApiError('bad-input', `model "${given.model}" has no latent space to draw codes from`, 'args.prior');
      const args = { ...given, z: given.z ?? (await priorCodes(latent!.shape, prior!)) };
      const pictures = (z: Float32Tensor, job: DisplayJob) => decodeForDisplay(z, channels * height * width, (piece) => decode({ ...args, z: piece }), maxSide, job);
      // Set inside the lane's work: a waiting call is started from the end of the one before it, whose priority it would inherit.
      const { value, ms } = await ctx.lanes.onLane(call.client, args.lane, () =>
        withPriority(priority ?? 'foreground', () =>
          timed(async () => {
            if (!reuse) return pictures(args.z, displayJob(call, progressive));
            const scope = JSON.stringify([await modelVersion(registered), maxSide ?? null, args.space ?? 'z', args.truncation ?? 1]);
            return ctx.previews.picturesOf(ctx.previews.keys(scope, args.z), args.z, pictures, displayJob(call, progressive));
          }),
        ),
      );
      return { images: value, ms };
    },
    'model.map': async ({ model, z }) => {
      const registered = ctx.host.model(model);
      const style = await styleSpaceOf(ctx.host, registered);
      const zDim = registered.manifest.latent!.shape.reduce((a, b) => a * b, 1);
      const count = z.shape[0] ?? 0;
      if (count === 0 || z.data.length !== count * zDim) throw new ApiError('bad-input', `model "${model}" maps z codes [batch, ${zDim}]; got [${z.shape.join(', ')}]`, 'args.z.shape');
      return { w: float32Tensor([count, style.wDim], await mapCodes(ctx.host, registered, z.data, count)) };
    },
    'model.encode': async ({ model, images, seed, lane }, call) => {
      const { value, ms } = await ctx.lanes.onLane(call.client, lane, () => timed(() => encodeImages(ctx.host, model, images, seed)));
      return { ...value, ms };
    },
    'model.denoise': async ({ model, x, t, label }) => {
      const { value, ms } = await timed(() => predictOutput(ctx.host, model, x, t, label));
      return { eps: value, ms };
    },
    'gan.invert': async ({ model, image, settings }, call) => {
      const { value, ms } = await timed(() => invertImage(ctx.host, ctx.host.model(model), image, { ...DEFAULT_INVERSION, ...settings }, call));
      return { ...value, ms };
    },
    'model.classify': async ({ model, images }) => {
      const { value, ms } = await timed(() => classifyImages(ctx.host, model, images));
      return { ...value, ms };
    },
  };
}
