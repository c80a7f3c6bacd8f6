import type { Tensor } from 'onnxruntime-node';
import { buildGradientGraph, type GradientGraph } from '../../electron/engine/autodiff/differentiate';
import { ort } from '../../electron/engine/runtime/ort';
import { seeded } from './onnxGraphs';

export interface Feed {
  shape: number[];
  data: Float32Array;
}

export interface GradientCheck {
  graph: GradientGraph;
  /** ‖numeric − graph‖ / ‖numeric‖ over the probed coordinates. */
  relativeError: number;
  /** |Σ loss − Σ (y − target)²| / Σ (y − target)², the loss against one computed here in float64. */
  lossError: number;
  gradient: Float32Array;
}

const tensor = (f: Feed) => new ort.Tensor('float32', f.data, f.shape);

/**
 * Builds the gradient graph of `model` with respect to `wrt` and compares its loss and gradient
 * with central finite differences of Σ (y − target)², computed in float64 from the forward graph's
 * float32 outputs: at up to `coordinates` evenly spaced coordinates of the input, or, for deep
 * networks, along `directions` random unit directions (g·v against the difference along v), where
 * the derivative measured is large against float32 rounding in the forward pass.
 */
export async function checkGradient(
  model: Uint8Array,
  wrt: string,
  feeds: Record<string, Feed>,
  options: { h?: number; coordinates?: number; directions?: number; output?: string; columnsBudget?: number } = {},
): Promise<GradientCheck> {
  const h = options.h ?? 1e-2;
  const graph = await buildGradientGraph(model, { wrt, output: options.output, columnsBudget: options.columnsBudget });
  const forward = await ort.InferenceSession.create(model);
  const differentiated = await ort.InferenceSession.create(graph.bytes);
  try {
    const outputName = options.output ?? forward.outputNames[0]!;
    const run = async (input: Float32Array) => {
      const result = await forward.run({ ...Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, tensor(v)])), [wrt]: tensor({ shape: feeds[wrt]!.shape, data: input }) });
      return result[outputName] as Tensor;
    };
    const y = await run(feeds[wrt]!.data);
    const target = seeded(y.size, 4242, -1, 1);
    const objective = (out: Tensor) => {
      const values = out.data as Float32Array;
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += (values[i]! - target[i]!) ** 2;
      return sum;
    };
    const results = await differentiated.run({
      ...Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, tensor(v)])),
      [graph.target]: new ort.Tensor('float32', target, y.dims),
    });
    const loss = results[graph.loss]!.data as Float32Array;
    const gradient = results[graph.gradient]!.data as Float32Array;
    const expected = objective(y);
    const lossError = Math.abs(loss.reduce((a, b) => a + b, 0) - expected) / Math.max(expected, 1e-12);

    const x = feeds[wrt]!.data;
    const probes: Float32Array[] = [];
    if (options.directions) {
      for (let k = 0; k < options.directions; k++) {
        const v = seeded(x.length, 777 + k, -1, 1);
        const length = Math.hypot(...v);
        probes.push(v.map((e) => e / length));
      }
    } else {
      const count = Math.min(options.coordinates ?? 64, x.length);
      for (let k = 0; k < count; k++) {
        const v = new Float32Array(x.length);
        v[Math.floor((k * x.length) / count)] = 1;
        probes.push(v);
      }
    }
    let diff = 0;
    let norm = 0;
    for (const v of probes) {
      const shifted = (sign: number) => x.map((e, i) => e + sign * h * v[i]!);
      const numeric = (objective(await run(shifted(1))) - objective(await run(shifted(-1)))) / (2 * h);
      const analytic = gradient.reduce((sum, g, i) => sum + g * v[i]!, 0);
      diff += (numeric - analytic) ** 2;
      norm += numeric ** 2;
    }
    return { graph, relativeError: Math.sqrt(diff / Math.max(norm, 1e-30)), lossError, gradient };
  } finally {
    await forward.release();
    await differentiated.release();
  }
}

export function feed(shape: number[], seed: number, lo = -1, hi = 1, gap = 0): Feed {
  return { shape, data: seeded(shape.reduce((a, b) => a * b, 1), seed, lo, hi, gap) };
}
