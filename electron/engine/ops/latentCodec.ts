import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { runGraph, type SessionMode } from '../runtime/sessions';
import { randomNormal } from '../../common/random';
import { fromUnitRange, toUnitRange } from './imageRange';

const DECODER_ROLE = { vae: 'decoder', autoencoder: 'decoder', gan: 'generator' } as const;
const ENCODER_ROLE = { vae: 'encoder', autoencoder: 'encoder', gan: 'encoder' } as const;

function roleFor(model: RegisteredModel, roles: Record<string, string>, what: string): string {
  const role = roles[model.manifest.kind];
  if (!role || !model.manifest.graphs[role]) {
    throw new ApiError('bad-input', `model "${model.manifest.id}" (${model.manifest.kind}) cannot ${what}`, 'args.model');
  }
  return role;
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** Decodes latent codes [batch, ...latent] to images in [0, 1], [batch, c, h, w]. */
export async function decodeLatents(host: ModelHost, modelId: string, z: Float32Tensor): Promise<Float32Tensor> {
  const model = host.model(modelId);
  const role = decoderRole(model);
  const latent = model.manifest.latent!.shape;
  const size = latent.reduce((a, b) => a * b, 1);
  const exact = z.shape.length === latent.length + 1 && latent.every((d, i) => z.shape[i + 1] === d);
  // A spatial latent ([4, 32, 32]) may also come flat, one row per code ([batch, 4096]): the same values, reshaped here.
  const flat = z.shape.length === 2 && z.shape[1] === size;
  if ((!exact && !flat) || z.shape[0] === 0) {
    throw new ApiError('bad-input', `model "${modelId}" expects latent codes of shape ${shapeText(['batch', ...latent])}; got ${shapeText(z.shape)}`, 'args.z.shape');
  }
  const graph = await host.graph(model, role);
  const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: exact ? z : float32Tensor([z.shape[0]!, ...latent], z.data) });
  const image = out[graph.spec.outputs[0]!.name]!;
  return float32Tensor(image.shape, toUnitRange(image.data, model.manifest.image.range));
}

export interface EncodedImages {
  mean: Float32Tensor;
  logvar?: Float32Tensor;
  sample?: Float32Tensor;
}

/** The reparametrization trick: z = μ + exp(logvar / 2) · ε, ε ~ N(0, I) from a seed. */
export function reparametrize(mean: Float32Tensor, logvar: Float32Tensor | undefined, seed: number): Float32Tensor {
  if (!logvar) return float32Tensor(mean.shape, mean.data.slice());
  const eps = randomNormal(mean.data.length, seed);
  return float32Tensor(mean.shape, mean.data.map((m, i) => m + Math.exp(0.5 * logvar.data[i]!) * eps[i]!));
}

/** Encodes images in [0, 1] to the model's latent posterior (mean and, for a VAE, log-variance). */
export async function encodeImages(host: ModelHost, modelId: string, images: Float32Tensor, seed?: number): Promise<EncodedImages> {
  const model = host.model(modelId);
  const role = roleFor(model, ENCODER_ROLE, 'encode images');
  checkImageShape(model, images);
  const { range } = model.manifest.image;
  const encoded = await encodeInRange(host, model, role, float32Tensor(images.shape, fromUnitRange(images.data, range)));
  return seed === undefined ? encoded : { ...encoded, sample: reparametrize(encoded.mean, encoded.logvar, seed) };
}

/** Images must be [batch ≥ 1, channels, height, width] as the model's manifest states. */
export function checkImageShape(model: RegisteredModel, images: Float32Tensor): void {
  const { channels, height, width } = model.manifest.image;
  const [b, c, h, w] = images.shape;
  if (images.shape.length !== 4 || c !== channels || h !== height || w !== width || b === 0) {
    const expected = `${width}×${height} with ${channels === 1 ? '1 channel (grayscale)' : `${channels} channels`}`;
    throw new ApiError('bad-input', `model "${model.manifest.id}" expects images ${shapeText(['batch', channels, height, width])} (${expected}); got ${shapeText(images.shape)}`, 'args.images.shape');
  }
}

/** Runs the encoder on images already in the model's own range (in a batch job's steady session when asked). */
export async function encodeInRange(host: ModelHost, model: RegisteredModel, role: string, x: Float32Tensor, mode: SessionMode = 'interactive'): Promise<EncodedImages> {
  const graph = await host.graph(model, role, mode);
  const out = await runGraph(graph, { [graph.spec.inputs[0]!.name]: x });
  const [first, second] = graph.spec.outputs;
  const mean = out['mean'] ?? out[first!.name]!;
  const logvar = out['logvar'] ?? (model.manifest.kind === 'vae' && second ? out[second.name] : undefined);
  return logvar ? { mean, logvar } : { mean };
}

/** The graph that turns a model's codes into images: a decoder, or a GAN's generator. */
export function decoderRole(model: RegisteredModel): string {
  return roleFor(model, DECODER_ROLE, 'decode latent codes');
}

export function encoderRole(model: RegisteredModel): string {
  return roleFor(model, ENCODER_ROLE, 'encode images');
}
