import { describe, expect, it } from 'vitest';
import { float } from '../../electron/engine/autodiff/onnxModel';
import { checkGradient, feed, type Feed } from '../helpers/gradientCheck';
import { buildModel, seeded, type GraphCase } from '../helpers/onnxGraphs';

/** One op (or a small pattern) and the inputs its gradient is checked at. */
interface OpCase extends GraphCase {
  /** Inputs whose gradient is checked, each on its own. */
  wrt: string[];
  /** Input values; the default is uniform in [-1, 1] kept 0.1 away from 0 (ReLU-like kinks). */
  values?: Record<string, Feed>;
  /** 0 makes weight gradients take the large-kernel Conv instead of im2col columns. */
  columnsBudget?: number;
}

const BATCH = 2;
const w = (dims: number[], seed: number, scale = 0.5) => ({ dims, values: seeded(dims.reduce((a, b) => a * b, 1), seed, -scale, scale) });

/** A case of one op on x [N, …shape] → y, with optional constants. */
const unaryCase = (op: string, shape: number[], attrs: GraphCase['nodes'][number][3] = {}, extra: Partial<OpCase> = {}): OpCase => ({
  inputs: { x: ['N', ...shape] },
  nodes: [[op, ['x'], ['y'], attrs]],
  output: 'y',
  wrt: ['x'],
  ...extra,
});

/** Values of [N, …shape] that are a shuffle of evenly spaced levels far more than 2h apart, so no finite difference crosses a max-pool tie. */
const distinct = (shape: number[], seed: number): Feed => {
  const count = shape.reduce((a, b) => a * b, 1);
  const order = Array.from(seeded(count, seed), (v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
  const data = new Float32Array(count);
  order.forEach(([, i], rank) => (data[i] = -3 + (6 * rank) / (count - 1)));
  return { shape, data };
};

const cases: Record<string, OpCase> = {
  Identity: unaryCase('Identity', [5]),
  Relu: unaryCase('Relu', [3, 4]),
  LeakyRelu: unaryCase('LeakyRelu', [3, 4], { alpha: float(0.2) }),
  PRelu: { inputs: { x: ['N', 3, 4], slope: [3, 1] }, nodes: [['PRelu', ['x', 'slope'], ['y']]], output: 'y', wrt: ['x', 'slope'] },
  Sigmoid: unaryCase('Sigmoid', [6]),
  Tanh: unaryCase('Tanh', [6]),
  Softplus: unaryCase('Softplus', [6]),
  Elu: unaryCase('Elu', [6], { alpha: float(0.7) }),
  Erf: unaryCase('Erf', [6]),
  'Gelu (exact)': unaryCase('Gelu', [6], {}, { opset: 20 }),
  'Gelu (tanh)': unaryCase('Gelu', [6], { approximate: 'tanh' }, { opset: 20 }),
  Exp: unaryCase('Exp', [6]),
  Log: unaryCase('Log', [6], {}, { values: { x: feed([BATCH, 6], 6, 0.3, 2) } }),
  Neg: unaryCase('Neg', [6]),
  Abs: unaryCase('Abs', [6]),
  Reciprocal: unaryCase('Reciprocal', [6], {}, { values: { x: feed([BATCH, 6], 7, 0.5, 2) } }),
  Sqrt: unaryCase('Sqrt', [6], {}, { values: { x: feed([BATCH, 6], 3, 0.3, 2) } }),
  'Pow (constant exponent 3)': { inputs: { x: ['N', 6] }, floats: { e: { dims: [], values: [3] } }, nodes: [['Pow', ['x', 'e'], ['y']]], output: 'y', wrt: ['x'] },
  'Pow (constant exponent 0.5)': {
    inputs: { x: ['N', 6] },
    floats: { e: { dims: [], values: [0.5] } },
    nodes: [['Pow', ['x', 'e'], ['y']]],
    output: 'y',
    wrt: ['x'],
    values: { x: feed([BATCH, 6], 4, 0.3, 2) },
  },
  'Add (broadcast)': { inputs: { a: ['N', 3, 4], b: [4] }, nodes: [['Add', ['a', 'b'], ['y']]], output: 'y', wrt: ['a', 'b'] },
  'Sub (broadcast)': { inputs: { a: ['N', 3, 1], b: [3, 4] }, nodes: [['Sub', ['a', 'b'], ['y']]], output: 'y', wrt: ['a', 'b'] },
  'Mul (broadcast)': { inputs: { a: ['N', 3, 4], b: ['N', 1, 4] }, nodes: [['Mul', ['a', 'b'], ['y']]], output: 'y', wrt: ['a', 'b'] },
  'Div (broadcast)': {
    inputs: { a: ['N', 3, 4], b: [3, 1] },
    nodes: [['Div', ['a', 'b'], ['y']]],
    output: 'y',
    wrt: ['a', 'b'],
    values: { b: feed([3, 1], 5, 0.5, 2) },
  },
  Gemm: { inputs: { x: ['N', 5] }, floats: { W: w([4, 5], 1), B: w([4], 2) }, nodes: [['Gemm', ['x', 'W', 'B'], ['y'], { transB: 1, alpha: float(0.7), beta: float(0.3) }]], output: 'y', wrt: ['x'] },
  'Gemm (transposed A, weight as input)': { inputs: { x: [5, 'N'], W: [5, 4] }, nodes: [['Gemm', ['x', 'W'], ['y'], { transA: 1 }]], output: 'y', wrt: ['x', 'W'] },
  'Gemm (both transposed, bias as input)': {
    inputs: { x: [5, 'N'], W: [4, 5], B: [1, 4] },
    nodes: [['Gemm', ['x', 'W', 'B'], ['y'], { transA: 1, transB: 1, beta: float(2) }]],
    output: 'y',
    wrt: ['x', 'W', 'B'],
  },
  'MatMul (broadcast batch)': { inputs: { a: ['N', 2, 3, 4], b: [4, 5] }, nodes: [['MatMul', ['a', 'b'], ['y']]], output: 'y', wrt: ['a', 'b'] },
  'MatMul (constant left, as the Col2Im export)': { inputs: { b: ['N', 4, 6] }, floats: { a: w([5, 4], 3) }, nodes: [['MatMul', ['a', 'b'], ['y']]], output: 'y', wrt: ['b'] },
  Conv: {
    inputs: { x: ['N', 4, 7, 6], W: [6, 2, 3, 3] },
    floats: { B: w([6], 4) },
    nodes: [['Conv', ['x', 'W', 'B'], ['y'], { strides: [2, 1], pads: [1, 0, 1, 2], group: 2, dilations: [1, 2] }]],
    output: 'y',
    wrt: ['x', 'W'],
  },
  'Conv (weight gradient without im2col columns)': {
    inputs: { x: ['N', 4, 7, 6], W: [6, 2, 3, 3] },
    nodes: [['Conv', ['x', 'W'], ['y'], { strides: [2, 1], pads: [1, 0, 1, 2], group: 2, dilations: [1, 2] }]],
    output: 'y',
    wrt: ['W'],
    columnsBudget: 0,
  },
  'ConvTranspose (weight gradient without im2col columns)': {
    inputs: { x: ['N', 4, 4, 5], W: [4, 3, 3, 3] },
    nodes: [['ConvTranspose', ['x', 'W'], ['y'], { strides: [2, 2], pads: [1, 1, 0, 1], output_padding: [1, 0], group: 2 }]],
    output: 'y',
    wrt: ['W'],
    columnsBudget: 0,
  },
  'Conv (SAME_UPPER, stride 2)': { inputs: { x: ['N', 2, 7, 7] }, floats: { W: w([3, 2, 3, 3], 5) }, nodes: [['Conv', ['x', 'W'], ['y'], { strides: [2, 2], auto_pad: 'SAME_UPPER' }]], output: 'y', wrt: ['x'] },
  ConvTranspose: {
    inputs: { x: ['N', 4, 4, 5], W: [4, 3, 3, 3] },
    floats: { B: w([6], 6) },
    nodes: [['ConvTranspose', ['x', 'W', 'B'], ['y'], { strides: [2, 2], pads: [1, 1, 0, 1], output_padding: [1, 0], group: 2 }]],
    output: 'y',
    wrt: ['x', 'W'],
  },
  Col2Im: {
    inputs: { x: ['N', 2 * 9, 16] },
    ints: { image: [8, 8], block: [3, 3] },
    nodes: [['Col2Im', ['x', 'image', 'block'], ['y'], { strides: [2, 2], pads: [1, 1, 0, 0] }]],
    output: 'y',
    wrt: ['x'],
  },
  'ReduceMean (keepdims)': { inputs: { x: ['N', 3, 4] }, ints: { axes: [2] }, nodes: [['ReduceMean', ['x', 'axes'], ['y']]], output: 'y', wrt: ['x'] },
  'ReduceSum (dropped axes)': { inputs: { x: ['N', 3, 4, 2] }, ints: { axes: [1, -1] }, nodes: [['ReduceSum', ['x', 'axes'], ['y'], { keepdims: 0 }]], output: 'y', wrt: ['x'] },
  ReduceSumSquare: { inputs: { x: ['N', 3, 4] }, ints: { axes: [1] }, nodes: [['ReduceSumSquare', ['x', 'axes'], ['y']]], output: 'y', wrt: ['x'] },
  BatchNormalization: {
    inputs: { x: ['N', 3, 4, 4] },
    floats: { s: w([3], 7), b: w([3], 8), m: w([3], 9), v: { dims: [3], values: [0.5, 1.5, 2] } },
    nodes: [['BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], { epsilon: float(1e-3) }]],
    output: 'y',
    wrt: ['x'],
  },
  InstanceNormalization: {
    inputs: { x: ['N', 3, 4, 5], s: [3] },
    floats: { b: w([3], 10) },
    nodes: [['InstanceNormalization', ['x', 's', 'b'], ['y']]],
    output: 'y',
    wrt: ['x', 's'],
  },
  LayerNormalization: {
    inputs: { x: ['N', 3, 8], s: [3, 8] },
    floats: { b: w([8], 11) },
    nodes: [['LayerNormalization', ['x', 's', 'b'], ['y'], { axis: 1 }]],
    output: 'y',
    wrt: ['x', 's'],
  },
  Reshape: { inputs: { x: ['N', 3, 4] }, ints: { shape: [0, 2, -1] }, nodes: [['Reshape', ['x', 'shape'], ['y']]], output: 'y', wrt: ['x'] },
  Flatten: unaryCase('Flatten', [3, 2, 2], { axis: 1 }),
  'Squeeze, Unsqueeze': {
    inputs: { x: ['N', 3, 1, 4] },
    ints: { a: [2], b: [0] },
    nodes: [
      ['Squeeze', ['x', 'a'], ['s']],
      ['Unsqueeze', ['s', 'b'], ['y']],
    ],
    output: 'y',
    wrt: ['x'],
  },
  Transpose: unaryCase('Transpose', [3, 4, 2], { perm: [2, 0, 3, 1] }),
  Concat: { inputs: { a: ['N', 2, 3], b: ['N', 4, 3] }, nodes: [['Concat', ['a', 'b'], ['y'], { axis: 1 }]], output: 'y', wrt: ['a', 'b'] },
  'Split (one part unused)': {
    inputs: { x: ['N', 6, 2] },
    ints: { split: [1, 2, 3] },
    nodes: [
      ['Split', ['x', 'split'], ['p', 'q', 'r'], { axis: 1 }],
      ['Mul', ['p', 'r'], ['y']],
    ],
    output: 'y',
    wrt: ['x'],
  },
  Slice: { inputs: { x: ['N', 6, 5] }, ints: { s: [1, -4], e: [5, 100], ax: [1, 2] }, nodes: [['Slice', ['x', 's', 'e', 'ax'], ['y']]], output: 'y', wrt: ['x'] },
  'Slice (step 2)': { inputs: { x: ['N', 7, 5] }, ints: { s: [1, 0], e: [7, 4], ax: [1, 2], st: [2, 3] }, nodes: [['Slice', ['x', 's', 'e', 'ax', 'st'], ['y']]], output: 'y', wrt: ['x'] },
  Pad: { inputs: { x: ['N', 3, 4] }, ints: { pads: [0, 2, -1, 0, 1, 1] }, nodes: [['Pad', ['x', 'pads'], ['y']]], output: 'y', wrt: ['x'] },
  'Resize (nearest ×2, asymmetric floor)': {
    inputs: { x: ['N', 2, 3, 4] },
    floats: { scales: { dims: [4], values: [1, 1, 2, 2] } },
    nodes: [['Resize', ['x', '', 'scales'], ['y'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }]],
    output: 'y',
    wrt: ['x'],
  },
  'Resize (linear ×2, half_pixel)': {
    inputs: { x: ['N', 2, 3, 4] },
    floats: { scales: { dims: [4], values: [1, 1, 2, 2] } },
    nodes: [['Resize', ['x', '', 'scales'], ['y'], { mode: 'linear' }]],
    output: 'y',
    wrt: ['x'],
  },
  'Resize (linear to a size, align_corners)': {
    inputs: { x: ['N', 2, 3, 4] },
    ints: { sizes: [5, 9] },
    nodes: [['Resize', ['x', '', '', 'sizes'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'align_corners', axes: [2, 3] }]],
    output: 'y',
    wrt: ['x'],
  },
  'Resize (nearest down, pytorch_half_pixel)': {
    inputs: { x: ['N', 2, 6, 6] },
    floats: { scales: { dims: [4], values: [1, 1, 0.5, 0.5] } },
    nodes: [['Resize', ['x', '', 'scales'], ['y'], { mode: 'nearest', coordinate_transformation_mode: 'pytorch_half_pixel' }]],
    output: 'y',
    wrt: ['x'],
  },
  Cast: unaryCase('Cast', [5], { to: 1 }),
  'Constant (added)': { inputs: { x: ['N', 3] }, nodes: [['Constant', [], ['c'], { value_floats: [float(1), float(2), float(3)] }], ['Mul', ['x', 'c'], ['y']]], output: 'y', wrt: ['x'] },
  'Gather (scalar index, as w+ is read)': {
    inputs: { x: ['N', 4, 3] },
    nodes: [
      ['Constant', [], ['i'], { value_int: 2 }],
      ['Gather', ['x', 'i'], ['y'], { axis: 1 }],
    ],
    output: 'y',
    wrt: ['x'],
  },
  'Gather (index list)': { inputs: { x: ['N', 4, 3] }, ints: { i: [3, 0, 3] }, nodes: [['Gather', ['x', 'i'], ['y'], { axis: 1 }]], output: 'y', wrt: ['x'] },
  Expand: { inputs: { x: ['N', 1, 3] }, ints: { shape: [1, 4, 3] }, nodes: [['Expand', ['x', 'shape'], ['y']]], output: 'y', wrt: ['x'] },
  Tile: { inputs: { x: ['N', 2, 3] }, ints: { r: [1, 3, 2] }, nodes: [['Tile', ['x', 'r'], ['y']]], output: 'y', wrt: ['x'] },
  Where: {
    inputs: { a: ['N', 4], b: [4] },
    nodes: [
      ['Greater', ['a', 'b'], ['m']],
      ['Where', ['m', 'a', 'b'], ['y']],
    ],
    output: 'y',
    wrt: ['a', 'b'],
    values: { b: { shape: [4], data: Float32Array.from([0.5, -0.5, 0.05, -0.05]) } },
  },
  Softmax: unaryCase('Softmax', [3, 5], { axis: -1 }),
  'MaxPool (3×3, stride 2, pads 1: overlapping windows)': unaryCase('MaxPool', [2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { values: { x: distinct([BATCH, 2, 6, 6], 31) } }),
  'MaxPool (2×2)': unaryCase('MaxPool', [3, 4, 4], { kernel_shape: [2, 2], strides: [2, 2] }, { values: { x: distinct([BATCH, 3, 4, 4], 32) } }),
  GlobalAveragePool: unaryCase('GlobalAveragePool', [3, 4, 5]),
  Clip: {
    inputs: { x: ['N', 8] },
    floats: { lo: { dims: [], values: [-0.5] }, hi: { dims: [], values: [0.6] } },
    nodes: [['Clip', ['x', 'lo', 'hi'], ['y']]],
    output: 'y',
    wrt: ['x'],
    values: { x: { shape: [BATCH, 8], data: Float32Array.from([-0.9, -0.3, 0.2, 0.8, 0.4, -0.7, 0.1, 0.55, 0.3, -0.2, -0.6, 0.9, 0.15, -0.45, 0.65, 0.25]) } },
  },
  // StyleGAN2's modulated convolution, as its exporter writes it: styles from w by an affine layer,
  // weights scaled by them, demodulated by 1/√(Σw² + ε), and one grouped Conv over the batch.
  'modulated convolution (StyleGAN2 pattern)': {
    inputs: { w: [1, 6], x: [1, 3, 5, 5] },
    floats: { A: w([6, 3], 12), Ab: { dims: [3], values: [1, 1, 1] }, W: w([1, 4, 3, 3, 3], 13), eps: { dims: [], values: [1e-8] } },
    ints: { sAxes: [2, 3, 4], sShape: [1, 1, 3, 1, 1], wShape: [4, 3, 3, 3], xShape: [1, 3, 5, 5] },
    nodes: [
      ['Gemm', ['w', 'A', 'Ab'], ['style']],
      ['Reshape', ['style', 'sShape'], ['s5']],
      ['Mul', ['W', 's5'], ['mod']],
      ['Mul', ['mod', 'mod'], ['sq']],
      ['ReduceSum', ['sq', 'sAxes'], ['ss'], { keepdims: 1 }],
      ['Add', ['ss', 'eps'], ['sse']],
      ['Sqrt', ['sse'], ['norm']],
      ['Div', ['mod', 'norm'], ['demod']],
      ['Reshape', ['demod', 'wShape'], ['weights']],
      ['Reshape', ['x', 'xShape'], ['xg']],
      ['Conv', ['xg', 'weights'], ['y'], { pads: [1, 1, 1, 1], group: 1 }],
    ],
    output: 'y',
    wrt: ['w', 'x'],
  },
};

const feedsFor = (c: OpCase): Record<string, Feed> =>
  Object.fromEntries(
    Object.entries(c.inputs).map(([name, dims], k) => [name, c.values?.[name] ?? feed(dims.map((d) => (d === 'N' ? BATCH : d)), 100 + k, -1, 1, 0.1)]),
  );

describe('gradient rules match central finite differences', () => {
  for (const [title, c] of Object.entries(cases)) {
    for (const wrt of c.wrt) {
      it(`${title}: d/d${wrt}`, async () => {
        const check = await checkGradient(buildModel(c), wrt, feedsFor(c), { columnsBudget: c.columnsBudget });
        expect(check.lossError).toBeLessThan(1e-5);
        expect(check.relativeError).toBeLessThan(1e-3);
      });
    }
  }
});
