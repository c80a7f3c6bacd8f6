import { GradientError, type GraphBuilder } from '../builder';
import { floatAttr, intAttr, intsAttr, stringAttr, float } from '../onnxModel';
import { each, type GradientContext, type GradientRule } from './rule';

/** Swaps the last two axes. */
function transposeLast(b: GraphBuilder, x: string): string {
  const rank = b.rank(x);
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return b.op('Transpose', [x], { perm });
}

/** Y = α·op(A)·op(B) + β·C (op = transpose or not). */
const gemm: GradientRule = (c) => {
  const [a, bMat, cVec] = c.inputs;
  const alpha = floatAttr(c.node, 'alpha', 1);
  const beta = floatAttr(c.node, 'beta', 1);
  const transA = intAttr(c.node, 'transA', 0);
  const transB = intAttr(c.node, 'transB', 0);
  const b = c.b;
  return each(
    c,
    // dA = α·g·op(B)ᵀ, transposed back where A was.
    (g) => (transA ? b.op('Gemm', [bMat!, g], { alpha: float(alpha), transA: transB, transB: 1 }) : b.op('Gemm', [g, bMat!], { alpha: float(alpha), transB: transB ? 0 : 1 })),
    // dB = α·op(A)ᵀ·g, transposed back where B was.
    (g) => (transB ? b.op('Gemm', [g, a!], { alpha: float(alpha), transA: 1, transB: transA }) : b.op('Gemm', [a!, g], { alpha: float(alpha), transA: transA ? 0 : 1 })),
    (g) => b.sumToShape(b.scale(g, beta), b.shape(c.outputs[0]!), cVec!),
  );
};

/** Batched, broadcasting A·B: dA = g·Bᵀ, dB = Aᵀ·g, each summed over the batch axes its operand was broadcast along. */
const matmul: GradientRule = (c) => {
  const [a, bMat] = [c.inputs[0]!, c.inputs[1]!];
  const b = c.b;
  if (b.rank(a) < 2 || b.rank(bMat) < 2) throw new GradientError(`MatMul "${c.node.name}" has a 1-D operand; only matrices and batches of them are differentiated`, 'MatMul', c.node.name ?? '');
  const out = b.shape(c.outputs[0]!);
  const batch = out.slice(0, -2);
  return each(
    c,
    (g) => b.sumToShape(b.op('MatMul', [g, transposeLast(b, bMat)]), [...batch, ...b.shape(a).slice(-2)], a),
    (g) => b.sumToShape(b.op('MatMul', [transposeLast(b, a), g]), [...batch, ...b.shape(bMat).slice(-2)], bMat),
  );
};

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads, ONNX's order. */
  pads: number[];
  group: number;
}

/** A convolution's window, with auto_pad resolved into explicit pads from the probed shapes. */
function convWindow(c: GradientContext, weight: string, image: string, output: string, transposed: boolean): Window {
  const b = c.b;
  const spatial = b.rank(image) - 2;
  const kernel = intsAttr(c.node, 'kernel_shape') ?? b.shape(weight).slice(2);
  const strides = intsAttr(c.node, 'strides') ?? kernel.map(() => 1);
  const dilations = intsAttr(c.node, 'dilations') ?? kernel.map(() => 1);
  const group = intAttr(c.node, 'group', 1);
  const autoPad = stringAttr(c.node, 'auto_pad', 'NOTSET');
  const inShape = b.shape(image).slice(2);
  const outShape = b.shape(output).slice(2);
  let pads = intsAttr(c.node, 'pads') ?? Array(2 * spatial).fill(0);
  const outputPadding = intsAttr(c.node, 'output_padding') ?? kernel.map(() => 0);
  if (autoPad === 'VALID') pads = Array(2 * spatial).fill(0);
  else if (autoPad !== 'NOTSET' || (transposed && intsAttr(c.node, 'output_shape'))) {
    pads = Array(2 * spatial).fill(0);
    for (let i = 0; i < spatial; i++) {
      const span = dilations[i]! * (kernel[i]! - 1) + 1;
      const total = transposed
        ? strides[i]! * (inShape[i]! - 1) + outputPadding[i]! + span - outShape[i]!
        : Math.max(0, (outShape[i]! - 1) * strides[i]! + span - inShape[i]!);
      const small = Math.floor(total / 2);
      // SAME_UPPER puts the odd pixel at the end; SAME_LOWER (and a transposed conv's output_shape) at the start.
      const upper = autoPad === 'SAME_UPPER';
      pads[i] = upper ? small : total - small;
      pads[i + spatial] = total - pads[i]!;
    }
  }
  return { kernel, strides, dilations, pads, group };
}

/**
 * dW of a convolution: for each kernel tap, the correlation of the input with the output gradient,
 * grouped convolutions (StyleGAN's modulated convolution) included. Where the input's im2col columns
 * fit the builder's columns budget, they are gathered by a Conv with one-hot kernels and multiplied with the gradient
 * in one batched MatMul; otherwise one grouped Conv
 * correlates them directly, with input and gradient's batch and channel axes swapped and strides and
 * dilations exchanged, which needs no extra memory but runs a kernel the size of the output.
 */
function convWeightGradient(b: GraphBuilder, input: string, outGrad: string, w: Window, weightShape: number[]): string {
  const { group } = w;
  const inShape = b.shape(input);
  const gShape = b.shape(outGrad);
  const inSpatial = inShape.slice(2);
  const gSpatial = gShape.slice(2);
  const perChannelIn = inShape[1]! / group;
  const perChannelOut = gShape[1]! / group;
  const taps = w.kernel.reduce((p, k) => p * k, 1);
  const positions = gSpatial.reduce((p, d) => p * d, 1);
  if (inShape[1]! * taps * positions * 4 <= b.columnsBudget) {
    const picks = new Float32Array(taps * taps);
    for (let k = 0; k < taps; k++) picks[k * taps + k] = 1;
    const single = b.op('Reshape', [input, b.ints([-1, 1, ...inSpatial])]);
    const columns = b.op('Conv', [single, b.floats([taps, 1, ...w.kernel], picks)], { strides: w.strides, dilations: w.dilations, pads: w.pads, kernel_shape: w.kernel });
    // [N·G·Cg, taps, O] → [N, G, L, Cg·taps]
    const grouped = b.op('Transpose', [b.op('Reshape', [columns, b.ints([-1, group, perChannelIn * taps, positions])])], { perm: [0, 1, 3, 2] });
    const gradient = b.op('Reshape', [outGrad, b.ints([-1, group, perChannelOut, positions])]);
    const perSample = b.op('MatMul', [gradient, grouped]);
    return b.op('Reshape', [b.reduceSum(perSample, [0], false), b.ints(weightShape)]);
  }
  const spatialAxes = inSpatial.map((_, i) => i + 3);
  // input [N, G·Cg, S] → [Cg, G·N, S]
  const groupedInput = b.op('Reshape', [input, b.ints([-1, group, perChannelIn, ...inSpatial])]);
  const inputT = b.op('Reshape', [b.op('Transpose', [groupedInput], { perm: [2, 1, 0, ...spatialAxes] }), b.ints([perChannelIn, -1, ...inSpatial])]);
  // gradient [N, G·Mg, O] → [G·Mg, N, O]
  const gGrouped = b.op('Reshape', [outGrad, b.ints([-1, group, perChannelOut, ...gSpatial])]);
  const gT = b.op('Reshape', [b.op('Transpose', [gGrouped], { perm: [1, 2, 0, ...spatialAxes] }), b.ints([group * perChannelOut, -1, ...gSpatial])]);
  const correlations = b.op('Conv', [inputT, gT], { strides: w.dilations, dilations: w.strides, pads: w.pads, group, kernel_shape: gSpatial });
  // [Cg, G·Mg, K'] → [G·Mg, Cg, K'], cut to the kernel's size.
  const weight = b.op('Transpose', [correlations], { perm: [1, 0, ...inSpatial.map((_, i) => i + 2)] });
  const axes = w.kernel.map((_, i) => i + 2);
  return b.op('Slice', [weight, b.ints(axes.map(() => 0)), b.ints(weightShape.slice(2)), b.ints(axes)]);
}

/** Channel-wise bias gradient: the output gradient summed over batch and space. */
function biasGradient(b: GraphBuilder, g: string): string {
  const rank = b.rank(g);
  return b.reduceSum(g, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
}

const conv: GradientRule = (c) => {
  const [x, weight] = [c.inputs[0]!, c.inputs[1]!];
  const b = c.b;
  const w = convWindow(c, weight, x, c.outputs[0]!, false);
  return each(
    c,
    // The adjoint of a convolution is the transposed convolution with the same window;
    // output_padding restores the input's size where the stride did not divide it.
    (g) => {
      const inShape = b.shape(x).slice(2);
      const outShape = b.shape(c.outputs[0]!).slice(2);
      const spatial = inShape.length;
      const outputPadding = inShape.map(
        (size, i) => size - (w.strides[i]! * (outShape[i]! - 1) + w.dilations[i]! * (w.kernel[i]! - 1) + 1 - w.pads[i]! - w.pads[i + spatial]!),
      );
      return b.op('ConvTranspose', [g, weight], { strides: w.strides, dilations: w.dilations, pads: w.pads, group: w.group, kernel_shape: w.kernel, output_padding: outputPadding });
    },
    (g) => convWeightGradient(b, x, g, w, b.shape(weight)),
    (g) => biasGradient(b, g),
  );
};

const convTranspose: GradientRule = (c) => {
  const [x, weight] = [c.inputs[0]!, c.inputs[1]!];
  const b = c.b;
  const w = convWindow(c, weight, x, c.outputs[0]!, true);
  return each(
    c,
    // The adjoint of a transposed convolution is the convolution with the same window.
    (g) => b.op('Conv', [g, weight], { strides: w.strides, dilations: w.dilations, pads: w.pads, group: w.group, kernel_shape: w.kernel }),
    // Its weight gradient is a convolution's, with the roles of input and output gradient exchanged.
    (g) => convWeightGradient(b, g, x, w, b.shape(weight)),
    (g) => biasGradient(b, g),
  );
};

/**
 * Col2Im scatters-and-adds columns into an image; its adjoint gathers them back (im2col),
 * here as a Conv whose kernels pick one tap each, over each channel on its own.
 */
const col2im: GradientRule = (c) => {
  const b = c.b;
  return each(c, (g) => {
    const image = b.staticValues(c.inputs[1]!, 'Col2Im image shape');
    const block = b.staticValues(c.inputs[2]!, 'Col2Im block shape');
    const taps = block.reduce((p, d) => p * d, 1);
    const channels = b.shape(c.inputs[0]!)[1]! / taps;
    const picks = new Float32Array(taps * taps);
    for (let k = 0; k < taps; k++) picks[k * taps + k] = 1;
    const kernels = b.floats([taps, 1, ...block], picks);
    const single = b.op('Reshape', [g, b.ints([-1, 1, ...image])]);
    const columns = b.op('Conv', [single, kernels], {
      strides: intsAttr(c.node, 'strides') ?? block.map(() => 1),
      dilations: intsAttr(c.node, 'dilations') ?? block.map(() => 1),
      pads: intsAttr(c.node, 'pads') ?? [...block, ...block].map(() => 0),
      kernel_shape: block,
    });
    return b.op('Reshape', [columns, b.ints([-1, channels * taps, b.shape(c.inputs[0]!)[2]!])]);
  });
};

export const linearRules: Record<string, GradientRule> = { Gemm: gemm, MatMul: matmul, Conv: conv, ConvTranspose: convTranspose, Col2Im: col2im };
