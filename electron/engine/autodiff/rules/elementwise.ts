import { GradientError } from '../builder';
import { floatAttr, intAttr, stringAttr } from '../onnxModel';
import { each, outputGradient, type GradientContext, type GradientRule } from './rule';

/** Operand i's share of a broadcasting op's output gradient. */
const toOperand = (c: GradientContext, i: number, g: string) => c.b.sumToShape(g, c.b.shape(c.outputs[0]!), c.inputs[i]!);

/** g · f'(x) for a unary op, f' built from the input x and the output y. */
const unary =
  (derivative: (c: GradientContext, x: string, y: string) => string): GradientRule =>
  (c) =>
    each(c, (g) => c.b.mul(g, derivative(c, c.inputs[0]!, c.outputs[0]!)));

const positive = (c: GradientContext, x: string) => c.b.op('Greater', [x, c.b.scalar(0)]);

export const elementwiseRules: Record<string, GradientRule> = {
  Identity: (c) => each(c, (g) => g),
  Add: (c) =>
    each(
      c,
      (g) => toOperand(c, 0, g),
      (g) => toOperand(c, 1, g),
    ),
  Sub: (c) =>
    each(
      c,
      (g) => toOperand(c, 0, g),
      (g) => toOperand(c, 1, c.b.neg(g)),
    ),
  Mul: (c) =>
    each(
      c,
      (g) => toOperand(c, 0, c.b.mul(g, c.inputs[1]!)),
      (g) => toOperand(c, 1, c.b.mul(g, c.inputs[0]!)),
    ),
  // d(a/b)/db = −a/b² = −y/b.
  Div: (c) =>
    each(
      c,
      (g) => toOperand(c, 0, c.b.div(g, c.inputs[1]!)),
      (g) => toOperand(c, 1, c.b.neg(c.b.mul(g, c.b.div(c.outputs[0]!, c.inputs[1]!)))),
    ),
  Neg: (c) => each(c, (g) => c.b.neg(g)),
  Relu: unary((c, x) => c.b.mask(positive(c, x))),
  LeakyRelu: unary((c, x) => c.b.op('Where', [positive(c, x), c.b.scalar(1), c.b.scalar(floatAttr(c.node, 'alpha', 0.01))])),
  PRelu: (c) =>
    each(
      c,
      (g) => c.b.mul(g, c.b.op('Where', [positive(c, c.inputs[0]!), c.b.scalar(1), c.inputs[1]!])),
      (g) => toOperand(c, 1, c.b.mul(g, c.b.op('Where', [positive(c, c.inputs[0]!), c.b.scalar(0), c.inputs[0]!]))),
    ),
  // σ' = σ(1 − σ)
  Sigmoid: unary((c, _x, y) => c.b.mul(y, c.b.sub(c.b.scalar(1), y))),
  // tanh' = 1 − tanh²
  Tanh: unary((c, _x, y) => c.b.sub(c.b.scalar(1), c.b.mul(y, y))),
  // softplus' = σ
  Softplus: unary((c, x) => c.b.op('Sigmoid', [x])),
  // elu' = 1 for x > 0, else y + α
  Elu: unary((c, x, y) => c.b.op('Where', [positive(c, x), c.b.scalar(1), c.b.add(y, c.b.scalar(floatAttr(c.node, 'alpha', 1)))])),
  // erf' = 2/√π · exp(−x²)
  Erf: unary((c, x) => c.b.scale(c.b.op('Exp', [c.b.neg(c.b.mul(x, x))]), 2 / Math.sqrt(Math.PI))),
  Gelu: unary(geluDerivative),
  Exp: unary((_c, _x, y) => y),
  Log: (c) => each(c, (g) => c.b.div(g, c.inputs[0]!)),
  // sqrt' = 1 / (2 √x)
  Sqrt: (c) => each(c, (g) => c.b.div(c.b.scale(g, 0.5), c.outputs[0]!)),
  // (1/x)' = −1/x² = −y²
  Reciprocal: unary((c, _x, y) => c.b.neg(c.b.mul(y, y))),
  Abs: unary((c, x) => c.b.op('Sign', [x])),
  // d(xᵉ)/dx = e·x^(e−1); d(xᵉ)/de = xᵉ·ln x
  Pow: (c) =>
    each(
      c,
      (g) => {
        const [x, e] = [c.inputs[0]!, c.inputs[1]!];
        return toOperand(c, 0, c.b.mul(g, c.b.mul(e, c.b.op('Pow', [x, c.b.sub(e, c.b.scalar(1))]))));
      },
      (g) => toOperand(c, 1, c.b.mul(g, c.b.mul(c.outputs[0]!, c.b.op('Log', [c.inputs[0]!])))),
    ),
  // The gradient passes where x lies inside [min, max].
  Clip: (c) =>
    each(c, (g) => {
      const [x, lo, hi] = c.inputs;
      let inside: string | undefined;
      const both = (term: string) => (inside = inside ? c.b.op('And', [inside, term]) : term);
      if (lo) both(c.b.op('Not', [c.b.op('Less', [x!, lo])]));
      if (hi) both(c.b.op('Not', [c.b.op('Greater', [x!, hi])]));
      if (c.b.opset < 11 && (c.node.attribute ?? []).some((a) => a.name === 'min' || a.name === 'max')) {
        throw new GradientError(`Clip "${c.node.name}" uses opset ${c.b.opset}'s min/max attributes; export with opset 11 or later`, 'Clip', c.node.name ?? '');
      }
      return inside ? c.b.mul(g, c.b.mask(inside)) : g;
    }),
  Where: (c) => [
    undefined,
    c.needs[1] ? toOperand(c, 1, c.b.op('Where', [c.inputs[0]!, outputGradient(c), c.b.scalar(0)])) : undefined,
    c.needs[2] ? toOperand(c, 2, c.b.op('Where', [c.inputs[0]!, c.b.scalar(0), outputGradient(c)])) : undefined,
  ],
  // Float-to-float casts pass the gradient back in the input's type; the path is float32 throughout.
  Cast: (c) => each(c, (g) => g),
  // y = softmax(x): dx = y · (g − Σ g·y) over the softmax axes.
  Softmax: (c) =>
    each(c, (g) => {
      const y = c.outputs[0]!;
      const rank = c.b.rank(y);
      const axis = normalizeAxis(intAttr(c.node, 'axis', c.b.opset >= 13 ? -1 : 1), rank);
      const axes = c.b.opset >= 13 ? [axis] : Array.from({ length: rank - axis }, (_, i) => axis + i);
      return c.b.mul(y, c.b.sub(g, c.b.reduceSum(c.b.mul(g, y), axes, true)));
    }),
};

/** Exact GELU: Φ(x) + x·φ(x); tanh form: its derivative by the chain rule through tanh(u). */
function geluDerivative(c: GradientContext, x: string): string {
  const b = c.b;
  if (stringAttr(c.node, 'approximate', 'none') === 'tanh') {
    const k = Math.sqrt(2 / Math.PI);
    const x2 = b.mul(x, x);
    const u = b.scale(b.add(x, b.scale(b.mul(x2, x), 0.044715)), k);
    const t = b.op('Tanh', [u]);
    const du = b.scale(b.add(b.scalar(1), b.scale(x2, 3 * 0.044715)), k);
    const left = b.scale(b.add(b.scalar(1), t), 0.5);
    const right = b.mul(b.scale(x, 0.5), b.mul(b.sub(b.scalar(1), b.mul(t, t)), du));
    return b.add(left, right);
  }
  const cdf = b.scale(b.add(b.scalar(1), b.op('Erf', [b.scale(x, Math.SQRT1_2)])), 0.5);
  const pdf = b.scale(b.op('Exp', [b.scale(b.mul(x, x), -0.5)]), 1 / Math.sqrt(2 * Math.PI));
  return b.add(cdf, b.mul(x, pdf));
}

export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
