import { GradientError, GraphBuilder } from './builder';
import { constantNodeValue, decodeModel, defaultOpset, encodeModel, onnx, tensorValues, toNumber, type NodeProto } from './onnxModel';
import type { onnx as OnnxNamespace } from 'onnx-proto';

type TypeProto = OnnxNamespace.ITypeProto;
import { probeGraph } from './probe';
import { elementwiseRules } from './rules/elementwise';
import { layoutRules } from './rules/layout';
import { linearRules } from './rules/linear';
import { normalizationRules } from './rules/normalization';
import type { GradientRule } from './rules/rule';

export { GradientError } from './builder';

/** Every op with a gradient rule, by ONNX op type (default domain). */
export const gradientRules: Record<string, GradientRule> = { ...elementwiseRules, ...linearRules, ...normalizationRules, ...layoutRules };

/** Ops that never carry a gradient: their outputs are integer or boolean, or constant. */
const NON_DIFFERENTIABLE = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Greater', 'Less', 'Equal', 'Not', 'And', 'Or', 'ArgMax', 'ArgMin', 'NonZero', 'Range']);

const MIN_OPSET = 13;

export interface GradientGraphRequest {
  /** The graph input the gradient is taken with respect to (a latent code). */
  wrt: string;
  /** The graph output the loss compares with a target; the first output when omitted. */
  output?: string;
  /** Bytes per sample a convolution's weight gradient may spend on im2col columns (faster) before it uses a large-kernel Conv (no extra memory). */
  columnsBudget?: number;
}

export interface GradientGraph {
  bytes: Uint8Array;
  /** The inputs of the new graph: the code, and the target the output is compared with. */
  code: string;
  target: string;
  /** Its outputs: the per-sample loss Σ (y − target)² [batch] and dloss/dcode (the code's shape). */
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
  const output = request.output ?? graph.output?.[0]?.name ?? '';
  if (!graph.input?.some((i) => i.name === wrt)) throw new GradientError(`the graph has no input "${wrt}"`);
  const outputInfo = graph.output?.find((o) => o.name === output);
  if (!outputInfo) throw new GradientError(`the graph has no output "${output}"`);

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
  const path = differentiablePath(nodes, wrt, output, isFloat);

  const names = new Set<string>([...(graph.input ?? []).map((i) => i.name!), ...(graph.initializer ?? []).map((t) => t.name!), ...nodes.flatMap((n) => n.output ?? [])]);
  const b = new GraphBuilder(opset, names, facts, constants, request.columnsBudget);

  // Loss Σ (y − target)² per sample; its gradient with respect to y seeds the backward pass.
  const target = freeName(names, 'target');
  const difference = b.sub(output, target);
  const rank = b.rank(output);
  const lossValue = b.reduceSum(b.mul(difference, difference), Array.from({ length: rank - 1 }, (_, i) => i + 1), false);
  const contributions = new Map<string, string[]>([[output, [b.scale(difference, 2)]]]);
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
  if (!gradientValue) throw new GradientError(`output "${output}" does not depend on input "${wrt}"`);

  const loss = freeName(names, 'loss');
  const gradient = freeName(names, 'grad');
  b.nodes.push({ opType: 'Identity', name: 'grad/loss', input: [lossValue], output: [loss] }, { opType: 'Identity', name: 'grad/grad', input: [gradientValue], output: [gradient] });

  const inputInfo = graph.input!.find((i) => i.name === wrt)!;
  const outputType = outputInfo.type ?? floatTypeOf(facts.get(output)!.shape);
  const batchDim = outputType.tensorType?.shape?.dim?.[0];
  graph.input!.push({ name: target, type: outputType });
  graph.output = [
    { name: loss, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, ...(batchDim ? { shape: { dim: [batchDim] } } : {}) } } },
    { name: gradient, type: inputInfo.type },
  ];
  graph.node = [...nodes, ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  return { bytes: encodeModel(model), code: wrt, target, loss, gradient, ops };
}

/**
 * The values between the input and the output: reachable from the input through
 * float32 values, and reaching the output. Integer side paths (Shape, masks) are left out.
 */
function differentiablePath(nodes: NodeProto[], wrt: string, output: string, isFloat: (name: string) => boolean): Set<string> {
  const forward = new Set([wrt]);
  for (const node of nodes) {
    if (NON_DIFFERENTIABLE.has(node.opType ?? '')) continue;
    if (node.input?.some((i) => forward.has(i))) for (const o of node.output ?? []) if (o && isFloat(o)) forward.add(o);
  }
  const backward = new Set([output]);
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
