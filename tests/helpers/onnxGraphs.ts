import { encodeModel, floatTensor, int64Tensor, makeAttribute, onnx, type AttrValue, type TensorProto } from '../../electron/engine/autodiff/onnxModel';

/** A dim of a graph input: a number, or 'N' for the free batch size. */
export type Dim = number | 'N';

export interface GraphCase {
  /** Float32 graph inputs, by name, with their shapes. */
  inputs: Record<string, Dim[]>;
  /** Constants: float arrays (with dims) or int64 lists. */
  floats?: Record<string, { dims: number[]; values: ArrayLike<number> }>;
  ints?: Record<string, number[]>;
  nodes: [op: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>][];
  output: string;
  /** The output's declared shape; left undeclared when omitted. */
  outputShape?: Dim[];
  opset?: number;
}

const typeOf = (dims: Dim[]) => ({
  tensorType: {
    elemType: onnx.TensorProto.DataType.FLOAT,
    shape: { dim: dims.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d })) },
  },
});

/** A small ONNX model written in a few lines, for testing ops one at a time. */
export function buildModel(c: GraphCase): Uint8Array {
  const initializer: TensorProto[] = [
    ...Object.entries(c.floats ?? {}).map(([name, t]) => floatTensor(name, t.dims, t.values)),
    ...Object.entries(c.ints ?? {}).map(([name, v]) => int64Tensor(name, [v.length], v)),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'latent-studio tests',
    opsetImport: [{ domain: '', version: c.opset ?? 18 }],
    graph: {
      name: 'case',
      input: Object.entries(c.inputs).map(([name, dims]) => ({ name, type: typeOf(dims) })),
      output: [{ name: c.output, type: c.outputShape ? typeOf(c.outputShape) : { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }],
      initializer,
      node: c.nodes.map(([op, inputs, outputs, attrs], i) => ({
        opType: op,
        name: `${op}_${i}`,
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs ?? {}).map(([name, value]) => makeAttribute(name, value)),
      })),
    },
  });
  return encodeModel(model);
}

/** Deterministic uniform values in [lo, hi), kept at least `gap` away from 0 (kinks of ReLU-like ops). */
export function seeded(count: number, seed: number, lo = -1, hi = 1, gap = 0): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  return Float32Array.from({ length: count }, () => {
    const v = lo + (hi - lo) * next();
    return Math.abs(v) < gap ? Math.sign(v || 1) * (gap + Math.abs(v)) : v;
  });
}
