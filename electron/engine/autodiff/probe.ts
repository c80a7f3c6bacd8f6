import type { Tensor } from 'onnxruntime-node';
import { ort } from '../runtime/ort';
import { createSession, type RuntimeSession } from '../runtime/remoteSessions';
import { NormalStream } from '../diffusion/noise';
import { decodeModel, encodeModel, onnx, toNumber, type ModelProto } from './onnxModel';

/** What one run tells of a value: its shape at that batch size, its element type, and its values when small. */
export interface ValueFacts {
  shape: number[];
  dtype: string;
  /** Which dims grow with the batch (known when the graph's batch is free). */
  batchDims: boolean[];
  /** The values of small tensors (shape arguments, axes, exponents), equal at both batch sizes. */
  values?: number[];
  /** The values differ between the two batch sizes: they depend on the batch. */
  batchDependentValues?: boolean;
}

/** Tensors up to this size are kept, to read shape arguments, axes and exponents from. */
const SMALL = 4096;

/**
 * Runs the graph once or twice (batch 2 and 3 where its batch is free) with every
 * intermediate value as an output, so that the gradient rules know each value's
 * concrete shape, which dims scale with the batch, and the values of small tensors.
 * Shapes come from the runtime itself, so no shape inference is written here.
 */
export async function probeGraph(model: ModelProto): Promise<Map<string, ValueFacts>> {
  const probeModel = decodeModel(encodeModel(model));
  const graph = probeModel.graph!;
  const listed = new Set(graph.output!.map((o) => o.name));
  for (const node of graph.node ?? []) for (const name of node.output ?? []) if (name && !listed.has(name)) graph.output!.push({ name });
  const session = await createSession(encodeModel(probeModel), { graphOptimizationLevel: 'disabled' });
  try {
    // Free dims take 2, then 3: no batch-sized dim is then mistaken for a broadcast 1.
    const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
    const batchFree = (graph.input ?? []).some((i) => !initializers.has(i.name) && (i.type?.tensorType?.shape?.dim ?? []).some((d) => !(d.dimValue != null && toNumber(d.dimValue as number) > 0)));
    const first = await runAt(session, graph, initializers, batchFree ? 2 : undefined);
    if (!batchFree) return new Map([...first].map(([name, r]) => [name, { ...r, batchDims: r.shape.map(() => false) }]));
    const second = await runAt(session, graph, initializers, 3);
    const facts = new Map<string, ValueFacts>();
    for (const [name, a] of first) {
      const b = second.get(name)!;
      const batchDims = a.shape.map((d, i) => d !== b.shape[i]);
      const same = a.values && b.values && a.values.length === b.values.length && a.values.every((v, i) => v === b.values![i]);
      facts.set(name, { ...a, batchDims, ...(a.values && !same ? { batchDependentValues: true } : {}) });
    }
    return facts;
  } finally {
    await session.release();
  }
}

type GraphProto = NonNullable<ModelProto['graph']>;

/** Feeds: normal noise for float inputs (so that no ReLU sits at a kink), zeros for the rest; free dims take `batch`. */
async function runAt(session: RuntimeSession, graph: GraphProto, initializers: Set<string | null | undefined>, batch: number | undefined): Promise<Map<string, Omit<ValueFacts, 'batchDims'>>> {
  const feeds: Record<string, Tensor> = {};
  const noise = new NormalStream(91);
  for (const input of graph.input ?? []) {
    if (initializers.has(input.name)) continue;
    const tensorType = input.type?.tensorType;
    const shape = (tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null && toNumber(d.dimValue as number) > 0 ? toNumber(d.dimValue as number) : (batch ?? 1)));
    const size = shape.reduce((a, b) => a * b, 1);
    const elem = tensorType?.elemType ?? onnx.TensorProto.DataType.FLOAT;
    if (elem === onnx.TensorProto.DataType.FLOAT) feeds[input.name!] = new ort.Tensor('float32', noise.next(size), shape);
    else if (elem === onnx.TensorProto.DataType.INT64) feeds[input.name!] = new ort.Tensor('int64', new BigInt64Array(size), shape);
    else throw new Error(`input "${input.name}" has element type ${elem}; only float32 and int64 inputs can be probed`);
  }
  const results = await session.run(feeds);
  const out = new Map<string, Omit<ValueFacts, 'batchDims'>>();
  for (const [name, value] of Object.entries(results)) {
    const small = value.size <= SMALL && value.type !== 'string';
    out.set(name, {
      shape: [...value.dims],
      dtype: value.type,
      ...(small ? { values: Array.from(value.data as ArrayLike<number | bigint>, Number) } : {}),
    });
  }
  for (const [name, value] of Object.entries(feeds)) out.set(name, { shape: [...value.dims], dtype: value.type });
  return out;
}
