import { GradientError } from './builder';
import { decodeModel, defaultOpset, encodeModel, floatTensor, int64Tensor, intsAttr, toNumber, type ModelProto, type NodeProto } from './onnxModel';

/** How the second graph hangs off the first. */
export interface Composition {
  /** The first graph's output that feeds the second graph. */
  from: string;
  /** The second graph's (only) input, fed by it. */
  to: string;
  /** Applied in between, y·scale + shift: the two models' value ranges differ (e.g. [-1, 1] into [0, 1]). */
  scale?: number;
  shift?: number;
}

export interface ComposedGraph {
  bytes: Uint8Array;
  /** The composed graph's name for each of the second graph's outputs. */
  outputs: Record<string, string>;
}

/** Ops whose `axes` attribute became an input at opset 18. */
const AXES_INPUT_FROM_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
const PREFIX = 'second/';

/**
 * One graph that runs two: x → first → (affine) → second, with the first graph's `from`
 * output and every output of the second as outputs, so that a loss can use both (pixels and a
 * classifier's features) and one backward sweep covers the pair. The second graph's names are
 * prefixed; the graph with the older opset is brought to the newer one where an op changed form.
 */
export function composeGraphs(firstBytes: Uint8Array, secondBytes: Uint8Array, c: Composition): ComposedGraph {
  const first = decodeModel(firstBytes);
  const second = decodeModel(secondBytes);
  const a = first.graph;
  const b = second.graph;
  if (!a || !b) throw new GradientError('a model file holds no graph');
  if (!a.output?.some((o) => o.name === c.from)) throw new GradientError(`the first graph has no output "${c.from}"`);
  const secondInputs = (b.input ?? []).filter((i) => !(b.initializer ?? []).some((t) => t.name === i.name));
  if (secondInputs.length !== 1 || secondInputs[0]!.name !== c.to) {
    throw new GradientError(`the second graph must take one input, "${c.to}"; it takes ${secondInputs.map((i) => `"${i.name}"`).join(', ') || 'none'}`);
  }
  const opset = Math.max(defaultOpset(first), defaultOpset(second));
  upgradeOpset(first, opset);
  upgradeOpset(second, opset);

  const rename = (name: string) => (name === '' ? '' : `${PREFIX}${name}`);
  const bridge: NodeProto[] = [];
  let fed = c.from;
  if ((c.scale ?? 1) !== 1 || (c.shift ?? 0) !== 0) {
    const scaled = `${PREFIX}bridge/scaled`;
    bridge.push(
      { opType: 'Mul', name: `${PREFIX}bridge/scale`, input: [c.from, `${PREFIX}bridge/scale_value`], output: [scaled] },
      { opType: 'Add', name: `${PREFIX}bridge/shift`, input: [scaled, `${PREFIX}bridge/shift_value`], output: [rename(c.to)] },
    );
    fed = rename(c.to);
  }
  const valueName = (name: string) => (name === c.to ? fed : rename(name));
  for (const node of b.node ?? []) {
    if ((node.attribute ?? []).some((attr) => attr.g || attr.graphs?.length)) {
      throw new GradientError(`${node.opType} node "${node.name}" holds a subgraph; graphs with control flow are not composed`, node.opType ?? '', node.name ?? '');
    }
  }
  const outputs = Object.fromEntries((b.output ?? []).map((o) => [o.name!, rename(o.name!)]));
  a.node = [
    ...(a.node ?? []),
    ...bridge,
    ...(b.node ?? []).map((node) => ({ ...node, name: rename(node.name ?? ''), input: (node.input ?? []).map(valueName), output: (node.output ?? []).map(rename) })),
  ];
  a.initializer = [
    ...(a.initializer ?? []),
    ...(bridge.length ? [floatTensor(`${PREFIX}bridge/scale_value`, [], [c.scale ?? 1]), floatTensor(`${PREFIX}bridge/shift_value`, [], [c.shift ?? 0])] : []),
    ...(b.initializer ?? []).map((t) => ({ ...t, name: rename(t.name ?? '') })),
  ];
  a.valueInfo = [...(a.valueInfo ?? []), ...(b.valueInfo ?? []).map((v) => ({ ...v, name: rename(v.name ?? '') }))];
  a.output = [...(a.output ?? []).filter((o) => o.name === c.from), ...(b.output ?? []).map((o) => ({ ...o, name: rename(o.name ?? '') }))];
  // Other domains (e.g. com.microsoft) are imported at the newer of the two versions.
  const imports = new Map<string, number>();
  for (const entry of [...first.opsetImport, ...second.opsetImport]) {
    const domain = entry.domain === 'ai.onnx' ? '' : entry.domain ?? '';
    imports.set(domain, Math.max(imports.get(domain) ?? 0, toNumber(entry.version)));
  }
  first.opsetImport = [...imports].map(([domain, version]) => ({ domain, version }));
  first.irVersion = Math.max(toNumber(first.irVersion), toNumber(second.irVersion));
  return { bytes: encodeModel(first), outputs };
}

/**
 * Raises a model's default-domain opset, rewriting the ops whose form changed on the way
 * (axes from attribute to input at 18). An op whose meaning changed is refused by name.
 */
function upgradeOpset(model: ModelProto, to: number): void {
  const from = defaultOpset(model);
  if (from === to) return;
  if (from < 13) throw new GradientError(`a graph uses opset ${from}; composing needs opset 13 or later (export again with a newer opset_version)`);
  const graph = model.graph!;
  let count = 0;
  for (const node of graph.node ?? []) {
    if (node.domain && node.domain !== 'ai.onnx') continue;
    if (from < 18 && to >= 18 && AXES_INPUT_FROM_18.has(node.opType ?? '')) {
      const axes = intsAttr(node, 'axes');
      node.attribute = (node.attribute ?? []).filter((attr) => attr.name !== 'axes');
      if (axes) {
        const name = `opset${to}/axes_${count++}`;
        graph.initializer = [...(graph.initializer ?? []), int64Tensor(name, [axes.length], axes)];
        node.input = [...(node.input ?? []), name];
      }
    }
    if (from < 21 && to >= 21 && node.opType === 'GroupNormalization') {
      throw new GradientError(`GroupNormalization node "${node.name}" changed meaning at opset 21; export both graphs with the same opset`, 'GroupNormalization', node.name ?? '');
    }
  }
  model.opsetImport = model.opsetImport.map((entry) => (!entry.domain || entry.domain === 'ai.onnx' ? { ...entry, version: to } : entry));
}
