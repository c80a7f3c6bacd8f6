import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { NormalStream } from '../diffusion/noise';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { runGraph } from '../runtime/sessions';
import { SeparableCmaEs } from './cmaes';
import { inversionGraph, NotDifferentiable, type InversionGraph } from './gradientGraphs';
import { fromUnitRange } from './imageRange';
import { checkImageShape, decodeLatents, encodeImages } from './latentCodec';
import { psnr, ssim } from '../../common/imageMetrics';
import { broadcastW, decodeInSpace, mapCodes, styleSpaceOf, sumLayers, type CodeSpace, type StyleSpace } from './styleSpace';

export interface InversionSettings {
  steps: number;
  /** Peak Adam learning rate. */
  lr: number;
  betas: [number, number];
  /** Share of the steps spent warming the rate up linearly, and ramping it down by a cosine at the end. */
  warmup: number;
  rampdown: number;
  /** Latent noise σ₀ added early (decays quadratically to 0 by noiseRamp of the steps), as in StyleGAN2-ADA's projector. */
  noise: number;
  noiseRamp: number;
  /** λ of the prior term λ‖z‖² (in w and w+: λ‖w − w_avg‖², the pull towards the average style). */
  prior: number;
  /** Random starts besides the encoder's warm start. */
  restarts: number;
  warmStart: boolean;
  seed: number;
  /** Stop when the best loss improved by less than this share over `patience` steps. */
  plateau: number;
  patience: number;
  /** The code space searched: z, or a StyleGAN-style model's w (one style) or w+ (one style per layer). */
  space: CodeSpace;
  /**
   * A perceptual term λ·s·‖F(G(code)) − F(x)‖² on a classifier's features F, where s = ‖x‖² / ‖F(x)‖²
   * weighs a feature error as large as the target's features like a pixel error as large as its pixels.
   */
  perceptual?: { classifier: string; weight: number };
}

const WARM_START_NOISE = 1_000_003;

export const DEFAULT_INVERSION: InversionSettings = {
  steps: 300,
  lr: 0.05,
  betas: [0.9, 0.999],
  warmup: 0.05,
  rampdown: 0.25,
  noise: 0.05,
  noiseRamp: 0.75,
  prior: 0,
  restarts: 3,
  warmStart: true,
  seed: 0,
  plateau: 1e-4,
  patience: 50,
  space: 'z',
};

/** StyleGAN2-ADA projector's schedule: linear warm-up, cosine ramp-down. */
export function learningRate(settings: InversionSettings, step: number): number {
  const t = step / settings.steps;
  // A zero warm-up or ramp-down leaves that end of the schedule constant.
  const down = settings.rampdown > 0 ? Math.min(1, (1 - t) / settings.rampdown) : 1;
  const up = settings.warmup > 0 ? Math.min(1, t / settings.warmup) : 1;
  return settings.lr * (0.5 - 0.5 * Math.cos(down * Math.PI)) * up;
}

export interface InversionProgress {
  step: number;
  total: number;
  /** Each restart's current objective. */
  losses: number[];
  bestLoss: number;
  /** The best reconstruction so far, [1, c, h, w] in [0, 1], sent every few steps. */
  best?: Float32Tensor;
}

export interface InversionResult {
  /** The code found: [1, dim] in z or w, [1, numWs, wDim] in w+. */
  z: Float32Tensor;
  space: CodeSpace;
  loss: number;
  image: Float32Tensor;
  psnr: number;
  ssim: number;
  steps: number;
  cancelled: boolean;
  stoppedOnPlateau: boolean;
  /** Best objective after each step. */
  curve: number[];
  /** Which start won: 0 is the encoder's warm start when there is one. */
  winner: number;
  finalLosses: number[];
  encoderOnly?: { psnr: number; ssim: number; image: Float32Tensor };
  /** Where dL/dz came from: the model's own inversion graph, its generator differentiated by the app, or none (a CMA-ES search). */
  gradientSource: InversionGraph['source'] | 'none (CMA-ES search)';
  /** Why there were no gradients, where there were none. */
  gradientNote?: string;
}

interface Context {
  signal: AbortSignal;
  progress(update: InversionProgress): void;
}

/** Decodes one code of a space to its image ([1, c, h, w] in [0, 1]). */
type Decode = (code: Float32Array) => Promise<Float32Tensor>;

function decoderFor(host: ModelHost, model: RegisteredModel, space: CodeSpace, style?: StyleSpace): Decode {
  if (space === 'z') return (code) => decodeLatents(host, model.manifest.id, float32Tensor([1, code.length], code));
  return (code) => decodeInSpace(host, model, space, float32Tensor(space === 'w' ? [1, style!.wDim] : [1, style!.numWs, style!.wDim], code));
}

/** G(code) for one code, and how close it is to the target ([0, 1] images). */
async function reconstruction(decode: Decode, code: Float32Array, target: Float32Tensor): Promise<{ image: Float32Tensor; psnr: number; ssim: number }> {
  const image = await decode(code);
  return { image, psnr: psnr(image.data, target.data), ssim: ssim(image.data, target.data, target.shape[3]!, target.shape[2]!) };
}

/** The encoder's code for the target (mapped to w, and repeated for w+, in style spaces) and its reconstruction, where the settings and the model allow a warm start. */
async function encoderStart(host: ModelHost, model: RegisteredModel, target: Float32Tensor, settings: InversionSettings, decode: Decode, style?: StyleSpace): Promise<{ code: Float32Array; encoderOnly: NonNullable<InversionResult['encoderOnly']> } | undefined> {
  if (!settings.warmStart || !model.manifest.graphs['encoder']) return undefined;
  const { mean } = await encodeImages(host, model.manifest.id, target);
  let code: Float32Array = mean.data.slice();
  if (settings.space !== 'z') {
    const w = await mapCodes(host, model, code, 1);
    code = settings.space === 'w' ? w : broadcastW(w, 1, style!);
  }
  return { code, encoderOnly: await reconstruction(decode, code, target) };
}

/** The perceptual term's inputs: the target's features (repeated for the K starts) and the term's weight λ·‖x‖²/‖F(x)‖². */
async function perceptualFeeds(host: ModelHost, classifier: RegisteredModel, target: Float32Tensor, x1: Float32Array, lambda: number, K: number, names: { target: string; weight: string }): Promise<Record<string, Float32Tensor>> {
  const graph = await host.graph(classifier, 'classifier');
  const features = (await runGraph(graph, { [graph.spec.inputs[0]!.name]: float32Tensor(target.shape, fromUnitRange(target.data, classifier.manifest.image.range)) }))['features']!;
  const dim = features.data.length;
  const repeated = new Float32Array(K * dim);
  for (let k = 0; k < K; k++) repeated.set(features.data, k * dim);
  const energy = (values: Float32Array) => values.reduce((sum, v) => sum + v * v, 0);
  const scale = energy(x1) / Math.max(energy(features.data), 1e-12);
  return { [names.target]: float32Tensor([K, dim], repeated), [names.weight]: float32Tensor([1], Float32Array.of(lambda * scale)) };
}

/**
 * Optimization-based GAN inversion: find z* minimising ‖G(z) − x‖² (+ λ‖z‖²)
 * with Adam, K starts optimised together in one batched run of a graph that
 * returns the loss and dL/dz from forward operations (ONNX Runtime has no
 * autograd): the model's own inversion graph, or its generator differentiated
 * by autodiff/. Cancelling returns the best code so far.
 */
export async function invertImage(host: ModelHost, model: RegisteredModel, target: Float32Tensor, settings: InversionSettings, ctx: Context): Promise<InversionResult> {
  if (model.manifest.kind !== 'gan') throw new ApiError('bad-input', `model "${model.manifest.id}" is a ${model.manifest.kind}, not a GAN`, 'args.model');
  checkImageShape(model, target);
  if (target.shape[0] !== 1) throw new ApiError('bad-input', 'invert one image at a time: [1, c, h, w]', 'args.image.shape');
  const { space } = settings;
  const style = space === 'z' ? undefined : await styleSpaceOf(host, model);
  const zDim = model.manifest.latent!.shape.reduce((a, b) => a * b, 1);
  // The optimised variable: z, one w, or w+ (a w per layer).
  const dim = space === 'z' ? zDim : space === 'w' ? style!.wDim : style!.numWs * style!.wDim;
  const decode = decoderFor(host, model, space, style);
  const perceptual = settings.perceptual && settings.perceptual.weight > 0 ? host.model(settings.perceptual.classifier) : undefined;
  let gradients: InversionGraph;
  try {
    gradients = await inversionGraph(host, model, space, perceptual);
  } catch (error) {
    if (error instanceof NotDifferentiable && space === 'z') return invertWithoutGradients(host, model, target, settings, ctx, error.message);
    throw error;
  }
  const { graph, code: zName, target: xName, loss: lossName, gradient: gradName, source } = gradients;
  const x1 = fromUnitRange(target.data, model.manifest.image.range);
  const pixels = x1.length;

  // Starts: the encoder's guess first (where the model has an encoder), then seeded random codes.
  const warm = await encoderStart(host, model, target, settings, decode, style);
  const starts: Float32Array[] = warm ? [warm.code] : [];
  const encoderOnly = warm?.encoderOnly;
  // Random start r is named by seed + r alone, so a batch of restarts equals the same restarts run one by one.
  const streams = starts.map(() => new NormalStream(WARM_START_NOISE + settings.seed));
  for (let r = 0; r < settings.restarts; r++) {
    const z0 = new NormalStream(2 * (settings.seed + r) + 11).next(zDim);
    // In style spaces the first random start is w_avg, as StyleGAN's projector starts; the others are mapped random z.
    const w0 = style && (r === 0 ? style.wAvg.slice() : await mapCodes(host, model, z0, 1));
    starts.push(space === 'z' ? z0 : space === 'w' ? w0! : broadcastW(w0!, 1, style!));
    streams.push(new NormalStream(2 * (settings.seed + r) + 12));
  }
  // The prior pulls towards 0 in z and towards w_avg in w and w+; noise is scaled to the space's spread.
  const center = space === 'z' ? new Float32Array(dim) : space === 'w' ? style!.wAvg : broadcastW(style!.wAvg, 1, style!);
  const spread = style ? style.wStd : 1;
  const codeShape = space === 'w+' ? [style!.numWs, style!.wDim] : [dim];
  const graphCode = (codes: Float32Array) => float32Tensor(space === 'z' ? [K, dim] : [K, style!.numWs, style!.wDim], space === 'w' ? broadcastW(codes, K, style!) : codes);
  const K = starts.length;
  if (K === 0) throw new ApiError('bad-input', 'no starting point: allow the warm start or at least one restart', 'args.settings.restarts');

  const z = new Float32Array(K * dim);
  starts.forEach((s, k) => z.set(s, k * dim));
  const m = new Float64Array(K * dim);
  const v = new Float64Array(K * dim);
  const noise = streams;
  const targets = new Float32Array(K * pixels);
  for (let k = 0; k < K; k++) targets.set(x1, k * pixels);
  const xTensor = float32Tensor([K, ...target.shape.slice(1)], targets);
  const featureFeeds = gradients.features && perceptual ? await perceptualFeeds(host, perceptual, target, x1, settings.perceptual!.weight, K, gradients.features) : {};

  const best = { loss: Infinity, z: z.slice(0, dim), restart: 0 };
  const curve: number[] = [];
  let finalLosses: number[] = [];
  let step = 0;
  let cancelled = false;
  let stoppedOnPlateau = false;
  const [b1, b2] = settings.betas;

  for (; step < settings.steps; step++) {
    if (ctx.signal.aborted) {
      cancelled = true;
      break;
    }
    const noiseScale = settings.noise * Math.max(0, 1 - step / (settings.noiseRamp * settings.steps)) ** 2;
    const probe = z.slice();
    if (noiseScale > 0) for (let k = 0; k < K; k++) noise[k]!.next(dim).forEach((n, j) => (probe[k * dim + j]! += noiseScale * spread * n));
    const out = await runGraph(graph, { [zName]: graphCode(probe), [xName]: xTensor, ...featureFeeds });
    const loss = out[lossName]!.data;
    // One w feeds every layer, so its gradient is the sum of the layers' (the chain rule through the broadcast).
    const grad = space === 'w' ? sumLayers(out[gradName]!.data, K, style!) : out[gradName]!.data;
    const lr = learningRate(settings, step);
    finalLosses = [];
    for (let k = 0; k < K; k++) {
      let objective = loss[k]!;
      let sq = 0;
      for (let j = 0; j < dim; j++) sq += (z[k * dim + j]! - center[j]!) ** 2;
      objective += settings.prior * sq;
      finalLosses.push(objective);
      if (objective < best.loss) {
        best.loss = objective;
        best.z = probe.slice(k * dim, (k + 1) * dim);
        best.restart = k;
      }
      for (let j = 0; j < dim; j++) {
        const i = k * dim + j;
        const g = grad[i]! + 2 * settings.prior * (z[i]! - center[j]!);
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const mHat = m[i]! / (1 - b1 ** (step + 1));
        const vHat = v[i]! / (1 - b2 ** (step + 1));
        z[i]! -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
    curve.push(best.loss);
    const report = step % 10 === 0 || step === settings.steps - 1;
    ctx.progress({
      step: step + 1,
      total: settings.steps,
      losses: finalLosses,
      bestLoss: best.loss,
      best: report ? await decode(best.z) : undefined,
    });
    const back = curve[curve.length - 1 - settings.patience];
    if (back !== undefined && back - best.loss < settings.plateau * back) {
      stoppedOnPlateau = true;
      step++;
      break;
    }
  }

  return {
    z: float32Tensor([1, ...codeShape], best.z),
    space,
    loss: best.loss,
    ...(await reconstruction(decode, best.z, target)),
    steps: step,
    cancelled,
    stoppedOnPlateau,
    curve,
    winner: best.restart,
    finalLosses,
    encoderOnly,
    gradientSource: source,
  };
}

/**
 * Inversion for a generator that cannot be differentiated: separable CMA-ES over the code, each
 * generation's candidates rendered by the generator in one batch. Same progress, cancel and
 * best-so-far as the gradient path; a step is a generation.
 */
async function invertWithoutGradients(host: ModelHost, model: RegisteredModel, target: Float32Tensor, settings: InversionSettings, ctx: Context, why: string): Promise<InversionResult> {
  const shape = model.manifest.latent!.shape;
  const dim = shape.reduce((a, b) => a * b, 1);
  const generator = await host.graph(model, 'generator');
  const codeName = generator.spec.inputs[0]!.name;
  const imageName = generator.spec.outputs[0]!.name;
  const x1 = fromUnitRange(target.data, model.manifest.image.range);
  // Without gradients the search is in z only: the synthesis graph would need them just as much.
  const decode = decoderFor(host, model, 'z');
  const warm = await encoderStart(host, model, target, { ...settings, space: 'z' }, decode);
  const start = warm?.code ?? new Float32Array(dim);
  const encoderOnly = warm?.encoderOnly;
  // From the prior's centre the search spans the prior (σ = 1); from the encoder's guess, nearer.
  const search = new SeparableCmaEs(start, encoderOnly ? 0.5 : 1, 2 * settings.seed + 29);
  const best = { loss: Infinity, z: start.slice() };
  const curve: number[] = [];
  let losses: number[] = [];
  let step = 0;
  let cancelled = false;
  for (; step < settings.steps; step++) {
    if (ctx.signal.aborted) {
      cancelled = true;
      break;
    }
    const points = search.ask();
    const images = (await runGraph(generator, { [codeName]: float32Tensor([search.lambda, ...shape], points) }))[imageName]!.data;
    losses = [];
    for (let k = 0; k < search.lambda; k++) {
      let loss = 0;
      for (let i = 0; i < x1.length; i++) loss += (images[k * x1.length + i]! - x1[i]!) ** 2;
      let sq = 0;
      for (let j = 0; j < dim; j++) sq += points[k * dim + j]! ** 2;
      loss += settings.prior * sq;
      losses.push(loss);
      if (loss < best.loss) {
        best.loss = loss;
        best.z = points.slice(k * dim, (k + 1) * dim);
      }
    }
    search.tell(losses);
    curve.push(best.loss);
    const report = step % 10 === 0 || step === settings.steps - 1;
    ctx.progress({
      step: step + 1,
      total: settings.steps,
      losses: [Math.min(...losses)],
      bestLoss: best.loss,
      best: report ? await decode(best.z) : undefined,
    });
  }
  return {
    z: float32Tensor([1, dim], best.z),
    space: 'z',
    loss: best.loss,
    ...(await reconstruction(decode, best.z, target)),
    steps: step,
    cancelled,
    stoppedOnPlateau: false,
    curve,
    winner: 0,
    finalLosses: losses.length ? [Math.min(...losses)] : [],
    encoderOnly,
    gradientSource: 'none (CMA-ES search)',
    gradientNote: why,
  };
}
