import { ApiError } from '../../api/errors';
import { float32Tensor } from '../../api/tensor';
import { interpolatePath } from '../../common/interpolate';
import { decodeForDisplay, displayJob } from '../ops/displayDecode';
import { decodeLatents } from '../ops/latentCodec';
import { decodeInSpace, styleSpaceOf } from '../ops/styleSpace';
import { nearestNeighbors } from '../ops/neighbors';
import { mahalanobis, project } from '../ops/projection';
import { timed, type EngineContext } from '../context';
import { BUNDLED_DATASET } from '../dataset/dataset';
import type { Handlers } from '../dispatch';

export function latentHandlers(ctx: EngineContext): Pick<Handlers, 'latent.interpolate' | 'latent.neighbors' | 'latent.typicality'> {
  const latentSize = (model: string) => {
    const latent = ctx.host.model(model).manifest.latent;
    if (!latent) throw new ApiError('bad-input', `model "${model}" has no latent space`, 'args.model');
    return { shape: latent.shape, size: latent.shape.reduce((a, b) => a * b, 1) };
  };
  return {
    'latent.interpolate': async ({ model, keyframes, frames, method, durations, space, lane, progressive }, call) => {
      const registered = ctx.host.model(model);
      const style = space === 'z' ? undefined : await styleSpaceOf(ctx.host, registered);
      // Codes of the space: the latent, one w, or a w per layer.
      const { shape, size } = !style ? latentSize(model) : space === 'w' ? { shape: [style.wDim], size: style.wDim } : { shape: [style.numWs, style.wDim], size: style.numWs * style.wDim };
      const count = keyframes.shape[0]!;
      if (keyframes.data.length !== count * size || count < 2) {
        throw new ApiError('bad-input', `keyframes must be two or more codes [k, ${shape.join(', ')}]; got [${keyframes.shape.join(', ')}]`, 'args.keyframes.shape');
      }
      if (durations && durations.length !== count - 1) throw new ApiError('bad-input', `give one duration per segment: ${count - 1}`, 'args.durations');
      const work = async () => {
        const { value, ms } = await timed(async () => {
          const codes = float32Tensor([frames, ...shape], interpolatePath(keyframes.data, size, frames, method, durations));
          const { channels, height, width } = registered.manifest.image;
          // Bytes, a quarter of float32 (64 frames at 256 px: 12.6 MB to send and draw instead of 50), a run's worth at a time.
          const images = await decodeForDisplay(codes, channels * height * width, (piece) => (space === 'z' ? decodeLatents(ctx.host, model, piece) : decodeInSpace(ctx.host, registered, space, piece)), Infinity, displayJob(call, progressive));
          return { codes, images };
        });
        return { ...value, ms };
      };
      return ctx.lanes.onLane(call.client, lane, work);
    },
    'latent.neighbors': async ({ model, dataset = BUNDLED_DATASET, query, k, exclude }) => {
      const { size } = latentSize(model);
      if (query.data.length !== size) throw new ApiError('bad-input', `the query is one code of ${size} values; got [${query.shape.join(', ')}]`, 'args.query.shape');
      const codes = await ctx.ensureCodes(dataset, model);
      return nearestNeighbors(codes.data, size, query.data, k, new Set(exclude));
    },
    'latent.typicality': async ({ model, dataset = BUNDLED_DATASET, code, lane }, call) => {
      const { size } = latentSize(model);
      if (code.data.length !== size) throw new ApiError('bad-input', `the code has ${size} values; got [${code.shape.join(', ')}]`, 'args.code.shape');
      const work = async () => {
        const codes = await ctx.ensureCodes(dataset, model);
        const projection = await ctx.codes.projection(dataset, model, codes);
        const [distance] = mahalanobis(projection, project(projection.mean, projection.components, projection.dim, code.data));
        const sorted = await ctx.codes.sortedDistances(dataset, model, codes);
        let below = 0;
        while (below < sorted.length && sorted[below]! <= distance!) below++;
        return { distance: distance!, percentile: (100 * below) / sorted.length, median: sorted[Math.floor(sorted.length / 2)]! };
      };
      return ctx.lanes.onLane(call.client, lane, work);
    },
  };
}
