import { encodeModel, floatTensor, onnx, type TensorProto } from '../autodiff/onnxModel';
import { ort } from '../runtime/ort';
import { createSession, type RuntimeSession } from '../runtime/remoteSessions';

/**
 * Products of float32 matrices by ONNX Runtime's MatMul (BLAS, on the runtime's thread) instead of loops on the
 * engine's thread: the PCA of 10,000 codes of 4,096 values spent 8 s in JavaScript loops, and the engine (the server,
 * or Electron's main process) answered nothing meanwhile.
 */

/** A graph of MatMul, Sub/Add, Transpose and Reshape, written with onnx-proto and run by ONNX Runtime like any model. */
export function graphBytes(name: string, input: { name: string; dims: (number | string)[] }, output: { name: string; dims: (number | string)[] }, initializer: TensorProto[], nodes: [string, string[], string[]][]): Uint8Array {
  const type = (dims: (number | string)[]) => ({ tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } });
  return encodeModel(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: `latent-studio ${name}`,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name,
        input: [{ name: input.name, type: type(input.dims) }],
        output: [{ name: output.name, type: type(output.dims) }],
        initializer,
        node: nodes.map(([op, inputs, outputs], i) => ({ opType: op, name: `${op}_${i}`, input: inputs, output: outputs })),
      },
    }),
  );
}

/** Rows fed a run at most: a dataset's codes go in blocks, never copied whole to the runtime's thread. */
const BLOCK_BYTES = 8 * 1024 * 1024;
const blockRows = (width: number) => Math.max(1, Math.floor(BLOCK_BYTES / (4 * width)));

async function withSession<T>(bytes: Uint8Array, work: (session: RuntimeSession) => Promise<T>): Promise<T> {
  const session = await createSession(bytes);
  try {
    return await work(session);
  } finally {
    await session.release();
  }
}

/** A [rows × k] · B [k × n] (row-major), A in blocks of rows. */
export async function matmulRows(a: Float32Array, rows: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
  const bytes = graphBytes('matmul', { name: 'a', dims: ['rows', k] }, { name: 'c', dims: ['rows', n] }, [floatTensor('b', [k, n], b)], [['MatMul', ['a', 'b'], ['c']]]);
  const out = new Float32Array(rows * n);
  await withSession(bytes, async (session) => {
    const step = blockRows(k);
    for (let start = 0; start < rows; start += step) {
      const count = Math.min(step, rows - start);
      const result = await session.run({ a: new ort.Tensor('float32', a.subarray(start * k, (start + count) * k), [count, k]) });
      out.set(result.c!.data as Float32Array, start * n);
    }
  });
  return out;
}

/**
 * XᵀX [k × k] of the rows of `a` less `mean` (each block centred in float32 before its product, so no large sums
 * cancel), summed over blocks in float64.
 */
export async function centredCrossProduct(a: Float32Array, rows: number, k: number, mean: ArrayLike<number>): Promise<Float64Array> {
  const bytes = graphBytes('cross product', { name: 'x', dims: ['rows', k] }, { name: 'g', dims: [k, k] }, [], [
    ['Transpose', ['x'], ['xt']],
    ['MatMul', ['xt', 'x'], ['g']],
  ]);
  const sum = new Float64Array(k * k);
  await withSession(bytes, async (session) => {
    const step = blockRows(k);
    const block = new Float32Array(Math.min(step, rows) * k);
    for (let start = 0; start < rows; start += step) {
      const count = Math.min(step, rows - start);
      for (let i = 0; i < count * k; i++) block[i] = a[start * k + i]! - mean[i % k]!;
      const result = await session.run({ x: new ort.Tensor('float32', block.subarray(0, count * k), [count, k]) });
      const g = result.g!.data as Float32Array;
      for (let i = 0; i < k * k; i++) sum[i]! += g[i]!;
    }
  });
  return sum;
}

/** The transpose of a [rows × cols] row-major matrix. */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
