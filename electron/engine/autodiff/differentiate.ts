import { GradientError, GraphBuilder } from './builder';
import { constantNodeValue, decodeModel, defaultOpset, encodeModel, onnx, tensorValues, toNumber, type NodeProto } from './onnxModel';
import type { onnx as OnnxNamespace } from 'onnx-proto';

type TypeProto = OnnxNamespace.ITypeProto;
import { probeGraph } from './probe';
import { elementwiseRules } from './rules/elementwise';
import { layoutRules } from './rules/layout';
import { linearRules } from './rules/linear';
import { normalizationRules } from './rules/normalization';
import { poolingRules } from './rules/pooling';
import type { GradientRule } from './rules/rule';

export { GradientError } from './builder';

/** Every op with a gradient rule, by ONNX op type (default domain). */
export const gradientRules: Record<string, GradientRule> = { ...elementwiseRules, ...linearRules, ...normalizationRules, ...layoutRules, ...poolingRules };

/** Ops that never carry a gradient: their outputs are integer or boolean, or constant. */
const NON_DIFFERENTIABLE = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Greater', 'Less', 'Equal', 'Not', 'And', 'Or', 'ArgMax', 'ArgMin', 'NonZero', 'Range']);

const MIN_OPSET = 13;

/**
 * One term of the loss, on one graph output y and a target input t of y's shape:
 * `squared` is Σ (y − t)² per sample, `dot` is Σ y·t (its gradient is the vector-Jacobian
 * product of t: with t = ∂f/∂y, the code's gradient of any f of the output).
 */
export interface LossTerm {
  output: string;
  kind: 'squared' | 'dot';
  /** Adds a graph input [1] the term is multiplied by, so its weight can change without a rebuild. */
  weighted?: boolean;
}

export interface GradientGraphRequest {
  /** The graph input the gradient is taken with respect to (a latent code). */
  wrt: string;
  /** The graph output the loss compares with a target; the first output when omitted. */
  output?: string;
  /** The loss as a sum of terms; when given, `output` is ignored. Default: one squared term on `output`. */
  terms?: LossTerm[];
  /** Bytes per sample a convolution's weight gradient may spend on im2col columns (faster) before it uses a large-kernel Conv (no extra memory). */
  columnsBudget?: number;
}

export interface GradientGraph {
  bytes: Uint8Array;
  /** The inputs of the new graph: the code, and the target the (first term's) output is compared with. */
  code: string;
  target: string;
  /** Each term's target input, and its weight input where it is weighted. */
  targets: string[];
  weights: (string | undefined)[];
  /** Its outputs: the per-sample loss, the sum of the terms [batch], and dloss/dcode (the code's shape). */
  loss: string;
  gradient: string;
  /** Ops on the differentiated path, with how many nodes of each. */
  ops: Record<string, number>;
}

/**
 * Reverse-mode differentiation of an ONNX graph into another ONNX graph: the forward
 * nodes, then a per-sample squared-error loss against a target, then each path node's
 * vector-Jacobian product in reverse order, summed where a value feeds several nodes.
 * The result runs in onnxruntime like any model; nothing is evaluated here but one probe
 * run for shapes.
 */
export async function buildGradientGraph(modelBytes: Uint8Array, request: GradientGraphRequest): Promise<GradientGraph> {
  const model = decodeModel(modelBytes);
  const graph = model.graph;
  if (!graph) throw new GradientError('the file holds no graph');
  const opset = defaultOpset(model);
  if (opset < MIN_OPSET) throw new GradientError(`the graph uses opset ${opset}; differentiation needs opset ${MIN_OPSET} or later (export again with a newer opset_version)`);
  const nodes = graph.node ?? [];
  const wrt = request.wrt;
  const terms: LossTerm[] = request.terms ?? [{ output: request.output ?? graph.output?.[0]?.name ?? '', kind: 'squared' }];
  if (terms.length === 0) throw new GradientError('the loss has no terms');
  if (!graph.input?.some((i) => i.name === wrt)) throw new GradientError(`the graph has no input "${wrt}"`);
  const outputInfos = terms.map(({ output }) => {
    const info = graph.output?.find((o) => o.name === output);
    if (!info) throw new GradientError(`the graph has no output "${output}"`);
    return info;
  });

  const constants = new Map<string, { dims: number[]; values?: number[] }>();
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(toNumber);
    const small = dims.reduce((a, b) => a * b, 1) <= 4096;
    constants.set(t.name!, small ? tensorValues(t) : { dims });
  }
  for (const node of nodes) {
    if (node.opType === 'Constant' && (!node.domain || node.domain === 'ai.onnx')) {
      const value = constantNodeValue(node);
      if (value) constants.set(node.output![0]!, value);
    }
  }

  const facts = await probeGraph(model);
  const isFloat = (name: string) => (facts.get(name)?.dtype ?? 'float32') === 'float32';
  const path = differentiablePath(nodes, wrt, terms.map((t) => t.output), isFloat);

  const names = new Set<string>([...(graph.input ?? []).map((i) => i.name!), ...(graph.initializer ?? []).map((t) => t.name!), ...nodes.flatMap((n) => n.output ?? [])]);
  const b = new GraphBuilder(opset, names, facts, constants, request.columnsBudget);

  // The per-sample loss, a sum of terms; each term's gradient with respect to its output seeds the backward pass.
  const contributions = new Map<string, string[]>();
  const targets: string[] = [];
  const weights: (string | undefined)[] = [];
  const termLosses = terms.map((term, i) => {
    const target = freeName(names, i === 0 ? 'target' : `target_${term.output}`);
    const weight = term.weighted ? freeName(names, `weight_${term.output}`) : undefined;
    targets.push(target);
    weights.push(weight);
    const weighted = (value: string) => (weight ? b.mul(value, weight) : value);
    const sampleAxes = Array.from({ length: b.rank(term.output) - 1 }, (_, k) => k + 1);
    let value: string;
    let seed: string;
    if (term.kind === 'squared') {
      const difference = b.sub(term.output, target);
      value = b.reduceSum(b.mul(difference, difference), sampleAxes, false);
      seed = weighted(b.scale(difference, 2));
    } else {
      value = b.reduceSum(b.mul(term.output, target), sampleAxes, false);
      seed = weighted(target);
    }
    contributions.set(term.output, [...(contributions.get(term.output) ?? []), seed]);
    return weighted(value);
  });
  const lossValue = termLosses.length === 1 ? termLosses[0]! : b.op('Sum', termLosses);
  const gradientOf = (name: string): string | undefined => {
    const parts = contributions.get(name);
    if (!parts?.length) return undefined;
    const total = parts.length === 1 ? parts[0]! : b.op('Sum', parts);
    contributions.set(name, [total]);
    return b.sameShape(total, name);
  };

  const ops: Record<string, number> = {};
  for (const node of [...nodes].reverse()) {
    if (!node.output?.some((o) => path.has(o)) || !node.input?.some((i) => path.has(i))) continue;
    const dY = node.output.map((o) => (path.has(o) ? gradientOf(o) : undefined));
    if (!dY.some(Boolean)) continue;
    const label = `${node.opType} node "${node.name || node.output[0]}"`;
    if (node.domain && node.domain !== 'ai.onnx') throw new GradientError(`${label} is a custom operator (domain ${node.domain}); it has no gradient rule`, node.opType ?? '', node.name ?? '');
    const rule = gradientRules[node.opType ?? ''];
    if (!rule) throw new GradientError(`${label} has no gradient rule: the operator ${node.opType} is not supported`, node.opType ?? '', node.name ?? '');
    const needs = node.input!.map((i) => i !== '' && path.has(i));
    let inputGradients: (string | undefined)[];
    try {
      inputGradients = rule({ node, b, inputs: node.input!, outputs: node.output, dY, needs });
    } catch (error) {
      if (error instanceof GradientError && error.op) throw error;
      throw new GradientError(`${label}: ${(error as Error).message}`, node.opType ?? '', node.name ?? '');
    }
    needs.forEach((needed, i) => {
      if (!needed) return;
      const g = inputGradients[i];
      if (!g) throw new GradientError(`${label}: no gradient for its input ${i + 1} ("${node.input![i]}")`, node.opType ?? '', node.name ?? '');
      const list = contributions.get(node.input![i]!) ?? [];
      list.push(g);
      contributions.set(node.input![i]!, list);
    });
    ops[node.opType!] = (ops[node.opType!] ?? 0) + 1;
  }
  const gradientValue = gradientOf(wrt);
  if (!gradientValue) throw new GradientError(`output "${terms.map((t) => t.output).join('", "')}" does not depend on input "${wrt}"`);

  const loss = freeName(names, 'loss');
  const gradient = freeName(names, 'grad');
  b.nodes.push({ opType: 'Identity', name: 'grad/loss', input: [lossValue], output: [loss] }, { opType: 'Identity', name: 'grad/grad', input: [gradientValue], output: [gradient] });

  const inputInfo = graph.input!.find((i) => i.name === wrt)!;
  // A target input takes its output's declared type; where the graph declares no shape, the probed one (batch dims symbolic).
  const outputTypes = terms.map((term, i) => (outputInfos[i]!.type?.tensorType?.shape ? outputInfos[i]!.type! : probedType(facts.get(term.output)!)));
  const batchDim = outputTypes[0]!.tensorType?.shape?.dim?.[0];
  targets.forEach((target, i) => graph.input!.push({ name: target, type: outputTypes[i] }));
  for (const weight of weights) if (weight) graph.input!.push({ name: weight, type: floatTypeOf([1]) });
  graph.output = [
    { name: loss, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, ...(batchDim ? { shape: { dim: [batchDim] } } : {}) } } },
    { name: gradient, type: inputInfo.type },
  ];
  graph.node = [...nodes, ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  return { bytes: encodeModel(model), code: wrt, target: targets[0]!, targets, weights, loss, gradient, ops };
}

/**
 * The values between the input and the outputs: reachable from the input through
 * float32 values, and reaching the output. Integer side paths (Shape, masks) are left out.
 */
function differentiablePath(nodes: NodeProto[], wrt: string, outputs: string[], isFloat: (name: string) => boolean): Set<string> {
  const forward = new Set([wrt]);
  for (const node of nodes) {
    if (NON_DIFFERENTIABLE.has(node.opType ?? '')) continue;
    if (node.input?.some((i) => forward.has(i))) for (const o of node.output ?? []) if (o && isFloat(o)) forward.add(o);
  }
  const backward = new Set(outputs);
  for (const node of [...nodes].reverse()) {
    if (node.output?.some((o) => backward.has(o))) for (const i of node.input ?? []) if (i) backward.add(i);
  }
  return new Set([...forward].filter((v) => backward.has(v)));
}

function freeName(names: Set<string>, wanted: string): string {
  let name = wanted;
  for (let k = 1; names.has(name); k++) name = `${wanted}_${k}`;
  names.add(name);
  return name;
}

function floatTypeOf(shape: number[]): TypeProto {
  return { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } };
}

function probedType(facts: { shape: number[]; batchDims: boolean[] }): TypeProto {
  return { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: facts.shape.map((d, i) => (facts.batchDims[i] ? { dimParam: 'batch' } : { dimValue: d })) } } };
}
