import { GradientError, type GraphBuilder } from '../builder';
import { intAttr, intsAttr, stringAttr } from '../onnxModel';
import { normalizeAxis } from './elementwise';
import { resizeMatrix } from './resizeMatrix';
import { each, type GradientContext, type GradientRule } from './rule';

const fail = (c: GradientContext, why: string) => new GradientError(`${c.node.opType} "${c.node.name}": ${why}`, c.node.opType ?? '', c.node.name ?? '');

function inversePermutation(perm: number[]): number[] {
  const inverse = Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/** Ops that only rearrange elements into another shape: the gradient takes the input's shape back. */
const reshapeBack: GradientRule = (c) => each(c, (g) => c.b.reshapeLike(g, c.inputs[0]!));

/**
 * Grows (positive) or crops (negative) each axis at its two ends: Pad with zeros for the growth,
 * Slice for the cropping, so no negative pads are handed to the runtime. `shape` is x's shape.
 */
function padOrCrop(b: GraphBuilder, x: string, shape: number[], before: number[], after: number[]): string {
  let out = x;
  const cropped = before.map((_, i) => i).filter((i) => before[i]! < 0 || after[i]! < 0);
  if (cropped.length) {
    const starts = cropped.map((i) => -Math.min(0, before[i]!));
    const ends = cropped.map((i) => shape[i]! + Math.min(0, after[i]!));
    out = b.op('Slice', [out, b.ints(starts), b.ints(ends), b.ints(cropped)]);
  }
  if (before.some((v) => v > 0) || after.some((v) => v > 0)) {
    out = b.op('Pad', [out, b.ints([...before.map((v) => Math.max(0, v)), ...after.map((v) => Math.max(0, v))])]);
  }
  return out;
}

/**
 * The gradient of a stride-`step` pick along one axis: each value back to every step-th slot,
 * zeros between. `shape` is g's shape (-1 on the batch axis) and is updated to the result's.
 */
function spreadAlong(b: GraphBuilder, g: string, shape: number[], axis: number, step: number): string {
  const widened = b.unsqueeze(g, [axis + 1]);
  const rank = shape.length + 1;
  const after = Array(rank).fill(0);
  after[axis + 1] = step - 1;
  const padded = b.op('Pad', [widened, b.ints([...Array(rank).fill(0), ...after])]);
  shape[axis] = shape[axis]! * step;
  return b.op('Reshape', [padded, b.ints(shape)]);
}

const slice: GradientRule = (c) =>
  each(c, (g) => {
    const b = c.b;
    const x = c.inputs[0]!;
    const shape = b.shape(x);
    const rank = shape.length;
    const read = (i: number, attr: string) =>
      b.opset >= 10 ? (c.inputs[i] ? b.staticValues(c.inputs[i]!, `Slice ${attr}`) : undefined) : intsAttr(c.node, attr);
    const starts = read(1, 'starts')!;
    const axes = (read(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
    const steps = read(4, 'steps') ?? starts.map(() => 1);
    const outShape = b.shape(c.outputs[0]!);
    const batchDims = b.facts(x).batchDims;
    const spreadShape = outShape.map((d, i) => (batchDims[i] ? -1 : d));
    const before = Array(rank).fill(0);
    const after = Array(rank).fill(0);
    let spread = g;
    axes.forEach((axis, i) => {
      const step = steps[i]!;
      if (step < 1) throw fail(c, 'negative steps are not differentiated');
      const dim = shape[axis]!;
      const taken = outShape[axis]!;
      if (batchDims[axis]) {
        if (taken !== dim) throw fail(c, 'it slices the batch axis');
        return;
      }
      const start = Math.min(Math.max(starts[i]! < 0 ? starts[i]! + dim : starts[i]!, 0), dim);
      if (step > 1 && taken > 0) spread = spreadAlong(b, spread, spreadShape, axis, step);
      before[axis] = start;
      after[axis] = dim - start - spreadShape[axis]!;
    });
    return padOrCrop(b, spread, spreadShape, before, after);
  });

const pad: GradientRule = (c) =>
  each(c, (g) => {
    const b = c.b;
    if (stringAttr(c.node, 'mode', 'constant') !== 'constant') throw fail(c, `mode "${stringAttr(c.node, 'mode', '')}" is not differentiated; only constant padding`);
    const rank = b.rank(c.inputs[0]!);
    const pads = b.opset >= 11 ? b.staticValues(c.inputs[1]!, 'Pad pads') : intsAttr(c.node, 'pads')!;
    const axes = c.inputs[3] ? b.staticValues(c.inputs[3], 'Pad axes').map((a) => normalizeAxis(a, rank)) : Array.from({ length: rank }, (_, i) => i);
    const before = Array(rank).fill(0);
    const after = Array(rank).fill(0);
    axes.forEach((axis, i) => {
      before[axis] = -pads[i]!;
      after[axis] = -pads[i + axes.length]!;
    });
    return padOrCrop(b, g, b.shape(c.outputs[0]!), before, after);
  });

const transpose: GradientRule = (c) =>
  each(c, (g) => {
    const rank = c.b.rank(c.inputs[0]!);
    const perm = intsAttr(c.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    return c.b.op('Transpose', [g], { perm: inversePermutation(perm) });
  });

const concat: GradientRule = (c) => {
  const b = c.b;
  const g = c.dY[0]!;
  const rank = b.rank(c.outputs[0]!);
  const axis = normalizeAxis(intAttr(c.node, 'axis', 0), rank);
  if (b.facts(c.outputs[0]!).batchDims[axis]) throw fail(c, 'it concatenates along the batch axis');
  let offset = 0;
  return c.inputs.map((input, i) => {
    const size = b.shape(input)[axis]!;
    const start = offset;
    offset += size;
    return c.needs[i] ? b.op('Slice', [g, b.ints([start]), b.ints([start + size]), b.ints([axis])]) : undefined;
  });
};

const split: GradientRule = (c) => {
  const b = c.b;
  const rank = b.rank(c.inputs[0]!);
  const axis = normalizeAxis(intAttr(c.node, 'axis', 0), rank);
  const parts = c.outputs.map((output, i) => c.dY[i] ?? b.zerosLike(output));
  return [c.needs[0] ? b.op('Concat', parts, { axis }) : undefined];
};

/** Expand broadcasts: sum back over the broadcast axes. */
const expand: GradientRule = (c) => each(c, (g) => c.b.sumToShape(g, c.b.shape(c.outputs[0]!), c.inputs[0]!));

/** Tile repeats whole blocks: view the gradient as [r₀, d₀, r₁, d₁, …] and sum over the r axes. */
const tile: GradientRule = (c) =>
  each(c, (g) => {
    const b = c.b;
    const x = c.inputs[0]!;
    const repeats = b.staticValues(c.inputs[1]!, 'Tile repeats');
    const facts = b.facts(x);
    const blocks = facts.shape.flatMap((d, i) => [repeats[i]!, facts.batchDims[i] ? -1 : d]);
    const summed = b.reduceSum(b.op('Reshape', [g, b.ints(blocks)]), repeats.map((_, i) => 2 * i), false);
    return b.reshapeLike(summed, x);
  });

/** Gather with constant indices: a scalar index puts the gradient back in one slot; a list of indices, through a one-hot matrix. */
const gather: GradientRule = (c) =>
  each(c, (g) => {
    const b = c.b;
    const x = c.inputs[0]!;
    const shape = b.shape(x);
    const rank = shape.length;
    const axis = normalizeAxis(intAttr(c.node, 'axis', 0), rank);
    if (b.facts(x).batchDims[axis]) throw fail(c, 'it gathers along the batch axis');
    const dim = shape[axis]!;
    const indicesFacts = b.facts(c.inputs[1]!);
    const indices = b.staticValues(c.inputs[1]!, 'Gather indices').map((i) => (i < 0 ? i + dim : i));
    if (indicesFacts.shape.length === 0) {
      const oneHot = new Float32Array(dim);
      oneHot[indices[0]!] = 1;
      const hotShape = shape.map((d, i) => (i === axis ? d : 1));
      return b.mul(b.unsqueeze(g, [axis]), b.floats(hotShape, oneHot));
    }
    if (indicesFacts.shape.length !== 1) throw fail(c, 'only scalar or 1-D indices are differentiated');
    const picks = new Float32Array(indices.length * dim);
    indices.forEach((index, k) => (picks[k * dim + index]! += 1));
    return applyAlongAxis(b, g, rank, axis, b.floats([indices.length, dim], picks));
  });

/** Contracts one axis of x with a matrix M [n_in, n_out]: moves the axis last, MatMul, moves it back. */
function applyAlongAxis(b: GraphBuilder, x: string, rank: number, axis: number, matrix: string): string {
  if (axis === rank - 1) return b.op('MatMul', [x, matrix]);
  const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  return b.op('Transpose', [b.op('MatMul', [b.op('Transpose', [x], { perm }), matrix])], { perm: inversePermutation(perm) });
}

/**
 * Nearest and linear Resize act on each resized axis as a fixed matrix A [out, in];
 * the gradient applies Aᵀ along each axis.
 */
const resize: GradientRule = (c) =>
  each(c, (g) => {
    const b = c.b;
    const x = c.inputs[0]!;
    const mode = stringAttr(c.node, 'mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') throw fail(c, `mode "${mode}" is not differentiated; only nearest and linear`);
    if (intAttr(c.node, 'antialias', 0)) throw fail(c, 'antialiased resizing is not differentiated');
    const inShape = b.shape(x);
    const outShape = b.shape(c.outputs[0]!);
    const scalesName = b.opset >= 11 ? c.inputs[2] : c.inputs[1];
    const given = scalesName && b.facts(scalesName).shape.some((d) => d > 0) ? b.staticValues(scalesName, 'Resize scales') : undefined;
    // With an `axes` attribute (opset 18), scales name only those axes.
    const listed = intsAttr(c.node, 'axes')?.map((a) => normalizeAxis(a, inShape.length));
    const scales = given && listed ? inShape.map((_, axis) => (listed.includes(axis) ? given[listed.indexOf(axis)]! : 1)) : given;
    let out = g;
    for (let axis = inShape.length - 1; axis >= 0; axis--) {
      if (inShape[axis] === outShape[axis] && (!scales || scales[axis] === 1)) continue;
      if (b.facts(x).batchDims[axis]) throw fail(c, 'it resizes the batch axis');
      const matrix = resizeMatrix({
        inSize: inShape[axis]!,
        outSize: outShape[axis]!,
        scale: scales?.[axis] ?? outShape[axis]! / inShape[axis]!,
        mode,
        coordinates: stringAttr(c.node, 'coordinate_transformation_mode', 'half_pixel'),
        nearest: stringAttr(c.node, 'nearest_mode', 'round_prefer_floor'),
      });
      out = applyAlongAxis(b, out, inShape.length, axis, b.floats([outShape[axis]!, inShape[axis]!], matrix));
    }
    return out;
  });

export const layoutRules: Record<string, GradientRule> = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Expand: expand,
  Tile: tile,
  Gather: gather,
  Resize: resize,
};
