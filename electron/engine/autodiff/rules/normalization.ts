import { GradientError, type GraphBuilder } from '../builder';
import { floatAttr, intAttr, intsAttr } from '../onnxModel';
import { normalizeAxis } from './elementwise';
import { each, outputGradient, type GradientContext, type GradientRule } from './rule';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** A per-channel vector [C] shaped [C, 1, …] to broadcast over an NC… tensor of the given rank. */
const perChannel = (b: GraphBuilder, v: string, rank: number) => (rank > 2 ? b.unsqueeze(v, range(1, rank - 1)) : v);

/**
 * x̂ = (x − μ)/σ over `axes`, recomputed from x, and the input gradient of a normalisation given
 * dL/dx̂: dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ (means over the normalised axes).
 */
function normalized(b: GraphBuilder, x: string, axes: number[], epsilon: number): { xHat: string; backward(dxHat: string): string } {
  const centered = b.sub(x, b.reduceMean(x, axes, true));
  const variance = b.reduceMean(b.mul(centered, centered), axes, true);
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.add(variance, b.scalar(epsilon))])]);
  const xHat = b.mul(centered, invStd);
  return {
    xHat,
    backward: (dxHat) => {
      const meanGrad = b.reduceMean(dxHat, axes, true);
      const meanProjection = b.reduceMean(b.mul(dxHat, xHat), axes, true);
      return b.mul(b.sub(b.sub(dxHat, meanGrad), b.mul(xHat, meanProjection)), invStd);
    },
  };
}

/** Inference-mode batch norm: y = (x − mean)/√(var + ε)·scale + bias, with fixed statistics. */
const batchNormalization: GradientRule = (c) => {
  const b = c.b;
  if (intAttr(c.node, 'training_mode', 0)) throw new GradientError(`BatchNormalization "${c.node.name}" runs in training mode; export the model in eval mode`, 'BatchNormalization', c.node.name ?? '');
  if (c.needs[3] || c.needs[4]) throw new GradientError(`BatchNormalization "${c.node.name}": its running statistics depend on the input`, 'BatchNormalization', c.node.name ?? '');
  const [x, scale, , mean, variance] = c.inputs as [string, string, string, string, string];
  const rank = b.rank(x);
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.add(variance, b.scalar(floatAttr(c.node, 'epsilon', 1e-5)))])]);
  const reduceAxes = [0, ...range(2, rank)];
  return each(
    c,
    (g) => b.mul(g, perChannel(b, b.mul(scale, invStd), rank)),
    (g) => b.reduceSum(b.mul(g, b.mul(b.sub(x, perChannel(b, mean, rank)), perChannel(b, invStd, rank))), reduceAxes, false),
    (g) => b.reduceSum(g, reduceAxes, false),
  );
};

/** Instance norm over the spatial axes of each sample and channel, then a per-channel scale and bias. */
const instanceNormalization: GradientRule = (c) => {
  const b = c.b;
  const [x, scale] = c.inputs as [string, string];
  const rank = b.rank(x);
  const norm = normalized(b, x, range(2, rank), floatAttr(c.node, 'epsilon', 1e-5));
  const reduceAxes = [0, ...range(2, rank)];
  return each(
    c,
    (g) => norm.backward(b.mul(g, perChannel(b, scale, rank))),
    (g) => b.reduceSum(b.mul(g, norm.xHat), reduceAxes, false),
    (g) => b.reduceSum(g, reduceAxes, false),
  );
};

/** Layer norm over the axes from `axis` on, then an elementwise scale and bias broadcast over them. */
const layerNormalization: GradientRule = (c) => {
  const b = c.b;
  if (c.dY.slice(1).some(Boolean)) throw new GradientError(`LayerNormalization "${c.node.name}": its mean and inverse deviation outputs are used downstream`, 'LayerNormalization', c.node.name ?? '');
  const [x, scale, bias] = c.inputs as [string, string, string | undefined];
  const rank = b.rank(x);
  const axis = normalizeAxis(intAttr(c.node, 'axis', -1), rank);
  const norm = normalized(b, x, range(axis, rank), floatAttr(c.node, 'epsilon', 1e-5));
  const out = b.shape(c.outputs[0]!);
  return each(
    c,
    (g) => norm.backward(b.mul(g, scale)),
    (g) => b.sumToShape(b.mul(g, norm.xHat), out, scale),
    (g) => b.sumToShape(g, out, bias!),
  );
};

/** The reduced axes of a ReduceSum/ReduceMean, from its attribute or (newer opsets) its second input. */
function reducedAxes(c: GradientContext, axesAsInputFrom: number): number[] {
  const rank = c.b.rank(c.inputs[0]!);
  const fromInput = c.b.opset >= axesAsInputFrom;
  const axes = fromInput ? (c.inputs[1] ? c.b.staticValues(c.inputs[1], `${c.node.opType} axes`) : []) : (intsAttr(c.node, 'axes') ?? []);
  if (axes.length === 0) {
    if (fromInput && intAttr(c.node, 'noop_with_empty_axes', 0)) return [];
    return range(0, rank);
  }
  return axes.map((a) => normalizeAxis(a, rank)).sort((p, q) => p - q);
}

/** dL/dx of a reduction: the output gradient broadcast back over the reduced axes (÷ count for a mean). */
function reduction(kind: 'sum' | 'mean' | 'sumSquare', axesAsInputFrom: number): GradientRule {
  return (c) => {
    const b = c.b;
    const x = c.inputs[0]!;
    const axes = reducedAxes(c, axesAsInputFrom);
    const g = outputGradient(c);
    if (!c.needs[0]) return [];
    const kept = intAttr(c.node, 'keepdims', 1) ? g : axes.length ? b.unsqueeze(g, axes) : g;
    let spread = b.op('Expand', [kept, b.op('Shape', [x])]);
    if (kind === 'mean') {
      const facts = b.facts(x);
      if (axes.some((a) => facts.batchDims[a])) throw new GradientError(`${c.node.opType} "${c.node.name}" averages over the batch`, c.node.opType ?? '', c.node.name ?? '');
      spread = b.scale(spread, 1 / axes.reduce((n, a) => n * facts.shape[a]!, 1));
    }
    if (kind === 'sumSquare') spread = b.mul(spread, b.scale(x, 2));
    return [spread];
  };
}

export const normalizationRules: Record<string, GradientRule> = {
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
  ReduceSum: reduction('sum', 13),
  ReduceMean: reduction('mean', 18),
  ReduceSumSquare: reduction('sumSquare', 18),
};
