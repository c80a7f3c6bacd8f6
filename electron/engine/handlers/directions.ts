import { ApiError } from '../../api/errors';
import { float32Tensor } from '../../api/tensor';
import { randomNormal } from '../../common/random';
import { classifyImages } from '../ops/classify';
import { fitBoundary, meanDifference } from '../ops/directions';
import { decodeLatents } from '../ops/latentCodec';
import { principalComponents } from '../ops/projection';
import { broadcastW, decodeInSpace, mapCodes, styleSpaceOf } from '../ops/styleSpace';
import { gradientDirection } from '../ops/gradientDirection';
import { timed, type EngineContext } from '../context';
import { BUNDLED_DATASET, type Dataset, type LabelSet } from '../dataset/dataset';
import type { Handlers } from '../dispatch';

const BATCH = 250;
/** Mapped prior samples whose w are analysed for GANSpace's principal directions (Härkönen et al. use 10⁶ for StyleGAN2; 10⁴ resolve the leading ones). */
const GANSPACE_SAMPLES = 10_000;

/** Principal directions of w over mapped prior samples, each one standard deviation long; in w+ the same direction on every layer. */
async function styleSpacePrincipal(ctx: EngineContext, model: string, count: number, space: 'w' | 'w+') {
  const registered = ctx.host.model(model);
  const style = await styleSpaceOf(ctx.host, registered);
  const zDim = registered.manifest.latent!.shape.reduce((a, b) => a * b, 1);
  const w = await mapCodes(ctx.host, registered, randomNormal(GANSPACE_SAMPLES * zDim, 1), GANSPACE_SAMPLES);
  const p = await principalComponents(w, GANSPACE_SAMPLES, style.wDim);
  const k = Math.min(count, p.rank);
  const vectors = new Float32Array(k * style.wDim);
  for (let c = 0; c < k; c++) {
    const sd = Math.sqrt(p.variance[c]!);
    for (let j = 0; j < style.wDim; j++) vectors[c * style.wDim + j] = p.components[c * style.wDim + j]! * sd;
  }
  const explained = Array.from(p.explained.subarray(0, k));
  return space === 'w' ? { vectors: float32Tensor([k, style.wDim], vectors), explained } : { vectors: float32Tensor([k, style.numWs, style.wDim], broadcastW(vectors, k, style)), explained };
}

/** One of a dataset's ways of labelling its images (0: its first, what `labels` are). */
function labelSetOf(d: Dataset, set: number): LabelSet {
  const chosen = d.labelSets[set];
  if (!chosen) throw new ApiError('bad-input', `${d.name} has ${d.labelSets.length} label set${d.labelSets.length === 1 ? '' : 's'}; there is no set ${set}`, 'args.labelSet');
  return chosen;
}

export function directionHandlers(ctx: EngineContext): Pick<Handlers, 'direction.meanDifference' | 'direction.boundary' | 'direction.gradient' | 'direction.labelBoundary' | 'direction.principal'> {
  const latentOf = (model: string) => {
    const latent = ctx.host.model(model).manifest.latent;
    if (!latent) throw new ApiError('bad-input', `model "${model}" has no latent space`, 'args.model');
    return latent.shape;
  };
  return {
    'direction.meanDifference': async ({ model, dataset = BUNDLED_DATASET, positive, negative, labelSet }) => {
      const shape = latentOf(model);
      const codes = await ctx.ensureCodes(dataset, model);
      const { labels } = labelSetOf(await ctx.datasets.get(dataset), labelSet);
      const pick = (selection: { classes: number[]; indices: number[] }, field: string) => {
        const chosen = new Set(selection.indices);
        labels.forEach((label, index) => selection.classes.includes(label) && chosen.add(index));
        const bad = [...chosen].find((i) => i >= labels.length);
        if (bad !== undefined) throw new ApiError('not-found', `dataset image ${bad} does not exist`, `args.${field}.indices`);
        if (chosen.size === 0) throw new ApiError('bad-input', `no dataset image matches the ${field} set`, `args.${field}`);
        return [...chosen];
      };
      const plus = pick(positive, 'positive');
      const minus = pick(negative, 'negative');
      const dim = codes.data.length / codes.shape[0]!;
      return { vector: float32Tensor(shape, meanDifference(codes.data, dim, plus, minus)), positive: plus.length, negative: minus.length };
    },
    'direction.boundary': async ({ model, classifier, target, samples, share, seed, space }, call) => {
      const zShape = latentOf(model);
      const zDim = zShape.reduce((a, b) => a * b, 1);
      const labels = ctx.host.model(classifier).manifest.labels ?? [];
      const bad = target.find((t) => t >= labels.length);
      if (bad !== undefined) throw new ApiError('bad-input', `class ${bad} is not among the classifier's ${labels.length} classes`, 'args.target');
      // In w and w+ the samples are mapped prior samples and the boundary is fitted on their w (InterFaceGAN's W-space variant).
      const registered = ctx.host.model(model);
      const style = space === 'z' ? undefined : await styleSpaceOf(ctx.host, registered);
      const prior = randomNormal(samples * zDim, seed);
      const dim = style ? style.wDim : zDim;
      const codes = style ? await mapCodes(ctx.host, registered, prior, samples) : prior;
      const scores = new Float64Array(samples);
      for (let start = 0; start < samples; start += BATCH) {
        if (call.signal.aborted) throw new ApiError('cancelled', 'the boundary fit was cancelled');
        const n = Math.min(BATCH, samples - start);
        const chunk = codes.subarray(start * dim, (start + n) * dim);
        const images = style ? await decodeInSpace(ctx.host, registered, 'w', float32Tensor([n, dim], chunk)) : await decodeLatents(ctx.host, model, float32Tensor([n, ...zShape], chunk));
        const { probabilities } = await classifyImages(ctx.host, classifier, images);
        const classes = probabilities.shape[1]!;
        for (let i = 0; i < n; i++) scores[start + i] = target.reduce((sum, t) => sum + probabilities.data[i * classes + t]!, 0);
        call.progress({ done: start + n, total: samples });
      }
      const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
      const take = Math.max(2, Math.round(samples * share));
      const positives = order.slice(0, take);
      const negatives = order.slice(-take);
      const boundary = await fitBoundary(codes, dim, positives, negatives);
      return {
        vector: !style ? float32Tensor(zShape, boundary.normal) : space === 'w' ? float32Tensor([dim], boundary.normal) : float32Tensor([style.numWs, dim], broadcastW(boundary.normal, 1, style)),
        accuracy: boundary.accuracy,
        positives: positives.length,
        negatives: negatives.length,
        scoreRange: [scores[negatives.at(-1)!]!, scores[positives[0]!]!],
      };
    },
    'direction.gradient': async ({ model, classifier, target, code, space }) => {
      const { value, ms } = await timed(() => gradientDirection(ctx.host, ctx.host.model(model), ctx.host.model(classifier), target, code, space));
      return { ...value, ms };
    },
    'direction.labelBoundary': async ({ model, dataset = BUNDLED_DATASET, positive, negative, labelSet }) => {
      const shape = latentOf(model);
      const codes = await ctx.ensureCodes(dataset, model);
      const d = await ctx.datasets.get(dataset);
      const { labels, labelNames } = labelSetOf(d, labelSet);
      const members = (classes: number[], field: string) => {
        const bad = classes.find((c) => c >= labelNames.length);
        if (bad !== undefined) throw new ApiError('bad-input', `label ${bad} is not among ${d.name}'s ${labelNames.length} labels`, `args.${field}`);
        const chosen: number[] = [];
        labels.forEach((label, index) => classes.includes(label) && chosen.push(index));
        if (chosen.length < 2) throw new ApiError('bad-input', `the ${field} labels hold ${chosen.length} image${chosen.length === 1 ? '' : 's'} in ${d.name}; a boundary needs at least 2 on each side`, `args.${field}`);
        return chosen;
      };
      const plus = members(positive, 'positive');
      const minus = members(negative, 'negative');
      const dim = codes.data.length / codes.shape[0]!;
      const boundary = await fitBoundary(codes.data, dim, plus, minus);
      return { vector: float32Tensor(shape, boundary.normal), accuracy: boundary.accuracy, positives: plus.length, negatives: minus.length };
    },
    'direction.principal': async ({ model, dataset = BUNDLED_DATASET, count, space }) => {
      if (space !== 'z') return styleSpacePrincipal(ctx, model, count, space);
      const shape = latentOf(model);
      const p = await ctx.codes.projection(dataset, model, await ctx.ensureCodes(dataset, model));
      const k = Math.min(count, p.rank);
      const vectors = new Float32Array(k * p.dim);
      for (let c = 0; c < k; c++) {
        const sd = Math.sqrt(p.variance[c]!);
        for (let j = 0; j < p.dim; j++) vectors[c * p.dim + j] = p.components[c * p.dim + j]! * sd;
      }
      return { vectors: float32Tensor([k, ...shape], vectors), explained: Array.from(p.explained.subarray(0, k)) };
    },
  };
}
