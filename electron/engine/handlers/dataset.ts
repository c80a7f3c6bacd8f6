import { ApiError } from '../../api/errors';
import { float32Tensor } from '../../api/tensor';
import { timed, type EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function datasetHandlers(ctx: EngineContext): Pick<Handlers, 'dataset.info' | 'dataset.images' | 'dataset.encode' | 'dataset.project'> {
  return {
    'dataset.info': async () => {
      const d = await ctx.dataset();
      return { name: d.name, count: d.count, channels: d.channels, height: d.height, width: d.width, labels: d.labelNames, license: d.license };
    },
    'dataset.images': async ({ indices }) => {
      const d = await ctx.dataset();
      const size = d.channels * d.height * d.width;
      const images = new Uint8Array(indices.length * size);
      indices.forEach((index, i) => {
        if (index >= d.count) throw new ApiError('not-found', `dataset image ${index} does not exist (the sample has ${d.count})`, `args.indices.${i}`);
        images.set(d.pixels.subarray(index * size, (index + 1) * size), i * size);
      });
      return {
        images: { dtype: 'uint8', shape: [indices.length, d.channels, d.height, d.width], data: images },
        labels: indices.map((index) => d.labels[index]!),
      };
    },
    'dataset.encode': async ({ model, batchSize }, call) => {
      const d = await ctx.dataset();
      const labels = Array.from(d.labels);
      const fresh = !ctx.codes.get(model);
      const { value, ms } = await timed(() => ctx.ensureCodes(model, { signal: call.signal, progress: call.progress, batchSize }));
      if (!fresh) call.progress({ done: d.count, total: d.count });
      return { codes: float32Tensor(value.shape, value.data.slice()), labels, ms: fresh ? ms : 0 };
    },
    'dataset.project': async ({ model }) => {
      const p = ctx.codes.projection(model);
      const count = p.coords.length / p.dim;
      return {
        dim: p.dim,
        mean: float32Tensor([p.dim], p.mean),
        components: float32Tensor([p.dim, p.dim], p.components),
        variance: float32Tensor([p.dim], p.variance),
        explained: Array.from(p.explained),
        coords: float32Tensor([count, p.dim], p.coords),
      };
    },
  };
}
