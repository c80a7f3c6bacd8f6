import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { NormalStream } from '../diffusion/noise';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { runGraph } from '../runtime/sessions';
import { toUnitRange } from './imageRange';

/** The spaces a StyleGAN-style code lives in: z (the prior), w (one style for all layers), w+ (one per layer). */
export type CodeSpace = 'z' | 'w' | 'w+';

export interface StyleSpace {
  numWs: number;
  wDim: number;
  /** The mean w, where truncation pulls towards and W inversion starts. */
  wAvg: Float32Array;
  /** The spread of w around wAvg (root mean square distance per dimension), which scales W-space noise. */
  wStd: number;
}

/** Samples mapped to estimate wAvg and wStd where the manifest gives no wAvg (StyleGAN's projector uses 10,000). */
const W_SAMPLES = 10_000;
const cache = new Map<string, Promise<StyleSpace>>();

/** A model's style space, wAvg from its manifest or from mapped samples (computed once per model and folder). */
export function styleSpaceOf(host: ModelHost, model: RegisteredModel): Promise<StyleSpace> {
  const style = model.manifest.style;
  if (!style) throw new ApiError('bad-input', `model "${model.manifest.id}" has no style space (a mapping and a synthesis graph): only z codes`, 'args.space');
  const key = `${model.folder}\0${model.manifest.id}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = measure(host, model, style);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function measure(host: ModelHost, model: RegisteredModel, style: NonNullable<RegisteredModel['manifest']['style']>): Promise<StyleSpace> {
  const zDim = model.manifest.latent!.shape.reduce((a, b) => a * b, 1);
  const w = await mapCodes(host, model, new NormalStream(20_240_601).next(W_SAMPLES * zDim), W_SAMPLES);
  const mean = new Float64Array(style.wDim);
  for (let n = 0; n < W_SAMPLES; n++) for (let j = 0; j < style.wDim; j++) mean[j]! += w[n * style.wDim + j]! / W_SAMPLES;
  const wAvg = style.wAvg ? Float32Array.from(style.wAvg) : Float32Array.from(mean);
  let squares = 0;
  for (let n = 0; n < W_SAMPLES; n++) for (let j = 0; j < style.wDim; j++) squares += (w[n * style.wDim + j]! - wAvg[j]!) ** 2;
  return { numWs: style.numWs, wDim: style.wDim, wAvg, wStd: Math.sqrt(squares / (W_SAMPLES * style.wDim)) };
}

/** z → w through the mapping graph, for `count` codes. */
export async function mapCodes(host: ModelHost, model: RegisteredModel, z: Float32Array, count: number): Promise<Float32Array> {
  const graph = await host.graph(model, 'mapping');
  const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: float32Tensor([count, z.length / count], z) });
  return out[graph.spec.outputs[0]!.name]!.data;
}

/** w [count × wDim] repeated for every layer: w+ [count × numWs × wDim]. */
export function broadcastW(w: Float32Array, count: number, style: Pick<StyleSpace, 'numWs' | 'wDim'>): Float32Array {
  const ws = new Float32Array(count * style.numWs * style.wDim);
  for (let n = 0; n < count; n++) for (let l = 0; l < style.numWs; l++) ws.set(w.subarray(n * style.wDim, (n + 1) * style.wDim), (n * style.numWs + l) * style.wDim);
  return ws;
}

/** The adjoint of broadcastW: dL/dw [count × wDim] from dL/dw+ [count × numWs × wDim], the sum over layers (one w feeds them all). */
export function sumLayers(grad: Float32Array, count: number, style: Pick<StyleSpace, 'numWs' | 'wDim'>): Float32Array {
  const out = new Float32Array(count * style.wDim);
  for (let k = 0; k < count; k++) for (let l = 0; l < style.numWs; l++) for (let j = 0; j < style.wDim; j++) out[k * style.wDim + j]! += grad[(k * style.numWs + l) * style.wDim + j]!;
  return out;
}

/** The synthesis graph's image for w+ codes [count × numWs × wDim], in [0, 1]. */
export async function synthesize(host: ModelHost, model: RegisteredModel, ws: Float32Array, count: number): Promise<Float32Tensor> {
  const style = model.manifest.style!;
  const graph = await host.graph(model, 'synthesis');
  const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: float32Tensor([count, style.numWs, style.wDim], ws) });
  const image = out[graph.spec.outputs[0]!.name]!;
  return float32Tensor(image.shape, toUnitRange(image.data, model.manifest.image.range));
}

/**
 * z codes through mapping, truncated towards the average style, then synthesis:
 * w' = w_avg + ψ (w − w_avg) (Karras et al. 2019, §5). ψ = 1 is the generator
 * itself; smaller ψ trades variety for typical, cleaner images.
 */
export async function decodeTruncated(host: ModelHost, model: RegisteredModel, z: Float32Tensor, psi: number): Promise<Float32Tensor> {
  const style = await styleSpaceOf(host, model);
  const count = z.shape[0] ?? 0;
  const zShape = model.manifest.latent!.shape;
  if (count === 0 || z.shape.length !== zShape.length + 1 || zShape.some((d, i) => z.shape[i + 1] !== d)) {
    throw new ApiError('bad-input', `model "${model.manifest.id}" expects latent codes of shape [batch, ${zShape.join(', ')}]; got [${z.shape.join(', ')}]`, 'args.z.shape');
  }
  const w = await mapCodes(host, model, z.data, count);
  for (let n = 0; n < count; n++) for (let j = 0; j < style.wDim; j++) w[n * style.wDim + j] = style.wAvg[j]! + psi * (w[n * style.wDim + j]! - style.wAvg[j]!);
  return synthesize(host, model, broadcastW(w, count, style), count);
}

/** Images for codes in any space: z through the generator, w broadcast to w+, w+ through synthesis. */
export async function decodeInSpace(host: ModelHost, model: RegisteredModel, space: Exclude<CodeSpace, 'z'>, codes: Float32Tensor): Promise<Float32Tensor> {
  const style = await styleSpaceOf(host, model);
  const per = space === 'w' ? style.wDim : style.numWs * style.wDim;
  const expected = space === 'w' ? `[batch, ${style.wDim}]` : `[batch, ${style.numWs}, ${style.wDim}]`;
  const count = codes.shape[0] ?? 0;
  if (count === 0 || codes.data.length !== count * per || codes.shape.slice(1).reduce((a, b) => a * b, 1) !== per) {
    throw new ApiError('bad-input', `${space} codes of model "${model.manifest.id}" are ${expected}; got [${codes.shape.join(', ')}]`, 'args.z.shape');
  }
  return synthesize(host, model, space === 'w' ? broadcastW(codes.data, count, style) : codes.data, count);
}
