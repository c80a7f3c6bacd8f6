import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { norm } from '../../common/vectors';
import type { ModelHost } from '../models/host';
import type { RegisteredModel } from '../models/registry';
import { runGraph } from '../runtime/sessions';
import { classifyImages } from './classify';
import { logitGradientGraph } from './gradientGraphs';
import { decodeLatents } from './latentCodec';
import { broadcastW, decodeInSpace, styleSpaceOf, sumLayers, type CodeSpace } from './styleSpace';

export interface GradientDirection {
  /** The direction in the code's shape, one step of it as long as one standard deviation of the prior. */
  vector: Float32Tensor;
  /** P(target classes) at the code. */
  probability: number;
  /** How fast log P(target) rises along the direction, per step, at the code (its first-order change). */
  slope: number;
}

/**
 * "More of these classes" at one code: ∇_code log P(target | decoder(code)), through the decoder
 * (or generator) and the classifier differentiated as one graph. Unlike a mean difference or a
 * boundary it is local: it says what would change this image towards the classes.
 */
export async function gradientDirection(host: ModelHost, model: RegisteredModel, classifier: RegisteredModel, target: number[], code: Float32Tensor, space: CodeSpace = 'z'): Promise<GradientDirection> {
  const latent = model.manifest.latent;
  if (!latent) throw new ApiError('bad-input', `model "${model.manifest.id}" has no latent space`, 'args.model');
  const style = space === 'z' ? undefined : await styleSpaceOf(host, model);
  // The code's shape in its space: the latent, one w, or a w per layer.
  const shape = space === 'z' ? latent.shape : space === 'w' ? [style!.wDim] : [style!.numWs, style!.wDim];
  const dim = shape.reduce((a, b) => a * b, 1);
  if (code.data.length !== dim) throw new ApiError('bad-input', `the code holds ${code.data.length} values; "${model.manifest.id}" has ${space} codes of ${dim}`, 'args.code');
  const labels = classifier.manifest.labels ?? [];
  const bad = target.find((t) => t >= labels.length);
  if (bad !== undefined) throw new ApiError('bad-input', `class ${bad} is not among the classifier's ${labels.length} classes`, 'args.target');

  const shaped = space === 'z' ? float32Tensor([1, ...latent.shape], code.data) : float32Tensor([1, style!.numWs, style!.wDim], space === 'w' ? broadcastW(code.data, 1, style!) : code.data);
  const graph = await logitGradientGraph(host, model, classifier, space === 'z' ? 'z' : 'w+');
  const image = space === 'z' ? await decodeLatents(host, model.manifest.id, shaped) : await decodeInSpace(host, model, 'w+', shaped);
  const { probabilities } = await classifyImages(host, classifier.manifest.id, image);
  const p = probabilities.data;
  const chosen = new Set(target);
  const inTarget = target.reduce((sum, t) => sum + p[t]!, 0);
  // ∂ log Σ_{c∈S} p_c / ∂ logit_j = p_j [j ∈ S] / P_S − p_j.
  const seed = Float32Array.from(p, (pj, j) => (chosen.has(j) ? pj / Math.max(inTarget, 1e-30) : 0) - pj);
  const out = await runGraph(graph.graph, { [graph.code]: shaped, [graph.seed]: float32Tensor([1, p.length], seed) });
  // One w feeds every layer: its gradient is the layers' summed.
  const gradient = space === 'w' ? sumLayers(out[graph.gradient]!.data, 1, style!) : out[graph.gradient]!.data;
  const length = norm(gradient);
  if (!(length > 0)) throw new ApiError('bad-input', `the classifier's score does not change with the code here (the gradient is zero)`, 'args.code');
  // A step of 1 moves one prior standard deviation (in w, w's spread); without a prior, the code's own spread per coordinate.
  const sigma = style ? style.wStd : latent.prior === 'standard-normal' ? 1 : Math.max(norm(code.data) / Math.sqrt(dim), 1e-3);
  return { vector: float32Tensor(shape, Float32Array.from(gradient, (g) => (g / length) * sigma)), probability: inTarget, slope: length * sigma };
}
