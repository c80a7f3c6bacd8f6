import { GradientError } from '../builder';
import { each, type GradientContext, type GradientRule } from './rule';

/**
 * MaxPool passes each window's gradient to the element that won it. The pool runs again with its
 * Indices output (positions in the flattened input, so any batch size works) and the gradient is
 * scattered there with `add`, which also sums where overlapping windows chose the same element.
 */
const maxPool: GradientRule = (c: GradientContext) => {
  const { b, node } = c;
  if (b.opset < 16) throw new GradientError(`MaxPool "${node.name}": its gradient scatters with reduction "add", which needs opset 16 or later`);
  return each(c, (g) => {
    const [, indices] = b.ops('MaxPool', [c.inputs[0]!], 2);
    // The re-run takes the forward node's attributes as they are (kernel, strides, pads, ceil mode).
    b.nodes[b.nodes.length - 1]!.attribute = [...(node.attribute ?? []).filter((a) => a.name !== 'storage_order')];
    const flat = b.ints([-1]);
    const zeros = b.op('Reshape', [b.zerosLike(c.inputs[0]!), flat]);
    const scattered = b.op('ScatterElements', [zeros, b.op('Reshape', [indices!, flat]), b.op('Reshape', [g, flat])], { axis: 0, reduction: 'add' });
    return b.reshapeLike(scattered, c.inputs[0]!);
  });
};

/** GlobalAveragePool: every element of a channel's plane receives the mean's gradient / (its size). */
const globalAveragePool: GradientRule = (c: GradientContext) => {
  const { b } = c;
  const shape = b.shape(c.inputs[0]!);
  const size = shape.slice(2).reduce((x, y) => x * y, 1);
  return each(c, (g) => b.op('Expand', [b.scale(g, 1 / size), b.op('Shape', [c.inputs[0]!])]));
};

export const poolingRules: Record<string, GradientRule> = { MaxPool: maxPool, GlobalAveragePool: globalAveragePool };
