import type { DatasetSummary } from '../../api/contract';
import { ApiError } from '../../api/errors';
import { float32Tensor, unitBytes } from '../../api/tensor';
import { timed, type EngineContext } from '../context';
import { BUNDLED_DATASET, type Dataset } from '../dataset/dataset';
import type { Handlers } from '../dispatch';

const MAX_LISTED_SKIPS = 1000;

/** A dataset as the contract shows it. */
export function datasetSummary(d: Dataset): DatasetSummary {
  const labelCounts = d.labelNames.map(() => 0);
  for (const label of d.labels) labelCounts[label]!++;
  return {
    id: d.id,
    name: d.name,
    source: d.source,
    ...(d.folder ? { folder: d.folder } : {}),
    count: d.count,
    channels: d.thumb.channels,
    height: d.thumb.height,
    width: d.thumb.width,
    labels: d.labelNames,
    labelCounts,
    labelSets: d.labelSets.map((s) => ({ name: s.name, labels: s.labelNames })),
    license: d.license,
    skipped: d.skipped.slice(0, MAX_LISTED_SKIPS),
    skippedCount: d.skipped.length,
    ...(d.problem ? { problem: d.problem } : {}),
  };
}

export function datasetHandlers(ctx: EngineContext): Pick<Handlers, 'dataset.info' | 'dataset.list' | 'dataset.openFolder' | 'dataset.remove' | 'dataset.images' | 'dataset.labels' | 'dataset.encode' | 'dataset.project'> {
  const list = async () => ({ datasets: (await ctx.datasets.list()).map(datasetSummary) });
  return {
    'dataset.info': async ({ dataset }) => datasetSummary(await ctx.datasets.get(dataset)),
    'dataset.list': list,
    'dataset.openFolder': async ({ path }, call) => {
      const dataset = await ctx.datasets.openFolder(path, { signal: call.signal, progress: (p) => call.progress({ ...p, skipped: p.skipped ?? 0 }) });
      // Its files may have changed: codes are read again through the on-disk cache, which knows which.
      ctx.codes.forget({ dataset: dataset.id });
      return datasetSummary(dataset);
    },
    'dataset.remove': async ({ dataset }) => {
      await ctx.datasets.remove(dataset);
      ctx.codes.forget({ dataset });
      return list();
    },
    'dataset.labels': async ({ dataset: id, set }) => {
      const d = await ctx.datasets.get(id);
      const chosen = d.labelSets[set];
      if (!chosen) throw new ApiError('bad-input', `${d.name} has ${d.labelSets.length} label set${d.labelSets.length === 1 ? '' : 's'}; there is no set ${set}`, 'args.set');
      return { name: chosen.name, names: chosen.labelNames, labels: Array.from(chosen.labels) };
    },
    'dataset.images': async ({ dataset: id, indices, model }) => {
      const d = await ctx.datasets.get(id);
      const bad = indices.findIndex((index) => index >= d.count);
      if (bad >= 0) throw new ApiError('not-found', `dataset image ${indices[bad]} does not exist (${d.name} has ${d.count})`, `args.indices.${bad}`);
      const labels = indices.map((index) => d.labels[index]!);
      if (!model) {
        const { channels, height, width } = d.thumb;
        return { images: { dtype: 'uint8', shape: [indices.length, channels, height, width], data: await d.thumbnails(indices) }, labels };
      }
      const { channels, height, width } = ctx.host.model(model).manifest.image;
      const images = await d.modelImages({ channels, height, width }, indices);
      return { images: { dtype: 'uint8', shape: [indices.length, channels, height, width], data: unitBytes(images) }, labels };
    },
    'dataset.encode': async ({ model, dataset = BUNDLED_DATASET, batchSize }, call) => {
      const d = await ctx.datasets.get(dataset);
      const fresh = !ctx.codes.get(dataset, model);
      const { value, ms } = await timed(() => ctx.ensureCodes(dataset, model, { signal: call.signal, progress: call.progress, batchSize: d.source === 'bundled' ? batchSize : Math.min(batchSize, 32) }));
      if (!fresh) call.progress({ done: d.count, total: d.count });
      return { codes: float32Tensor(value.shape, value.data.slice()), labels: Array.from(d.labels), ms: fresh ? ms : 0 };
    },
    'dataset.project': async ({ model, dataset = BUNDLED_DATASET }) => {
      const p = await ctx.codes.projection(dataset, model, await ctx.ensureCodes(dataset, model));
      const count = p.coords.length / p.rank;
      return {
        dim: p.dim,
        rank: p.rank,
        mean: float32Tensor([p.dim], p.mean),
        components: float32Tensor([p.rank, p.dim], p.components),
        variance: float32Tensor([p.rank], p.variance),
        explained: Array.from(p.explained),
        coords: float32Tensor([count, p.rank], p.coords),
      };
    },
  };
}
