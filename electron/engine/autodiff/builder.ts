import { floatTensor, int64Tensor, makeAttribute, type AttrValue, type NodeProto, type TensorProto } from './onnxModel';
import type { ValueFacts } from './probe';

/** A gradient graph cannot be built; the message names the node and what is missing. */
export class GradientError extends Error {
  constructor(
    message: string,
    readonly op?: string,
    readonly node?: string,
  ) {
    super(message);
  }
}

/**
 * Appends the backward pass's nodes to a graph: fresh value names, cached
 * constants, and the opset-aware forms of the few ops whose signature changed
 * between opsets (axes as an attribute or as an input).
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names: Set<string>;
  private readonly constantNames = new Map<string, string>();
  private count = 0;

  constructor(
    readonly opset: number,
    existingNames: Iterable<string>,
    private readonly valueFacts: Map<string, ValueFacts>,
    private readonly constants: Map<string, { dims: number[]; values?: number[] }>,
    /** Bytes per sample a weight gradient may spend on im2col columns (rules/linear.ts). */
    readonly columnsBudget = 64 * 2 ** 20,
  ) {
    this.names = new Set(existingNames);
  }

  fresh(hint: string): string {
    let name: string;
    do name = `grad/${hint}_${this.count++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.ops(type, inputs, 1, attrs)[0]!;
  }

  ops(type: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(type));
    this.nodes.push({
      opType: type,
      name: this.fresh(`${type}_node`),
      input: inputs,
      output: names,
      attribute: Object.entries(attrs).map(([name, value]) => makeAttribute(name, value)),
    });
    return names;
  }

  /** A 1-D int64 constant (shapes, axes, pads), one initializer per distinct value. */
  ints(values: number[]): string {
    return this.constant(`i${values.join(',')}`, () => int64Tensor('', [values.length], values));
  }

  /** A float32 constant of any shape. */
  floats(dims: number[], values: ArrayLike<number>): string {
    const key = dims.length === 0 ? `f${values[0]}` : undefined;
    if (key) return this.constant(key, () => floatTensor('', dims, values));
    const name = this.fresh('const');
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  scalar(value: number): string {
    return this.floats([], [value]);
  }

  private constant(key: string, make: () => TensorProto): string {
    let name = this.constantNames.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push({ ...make(), name });
      this.constantNames.set(key, name);
    }
    return name;
  }

  // ---- facts about forward values --------------------------------------------------------------

  facts(name: string): ValueFacts {
    const facts = this.valueFacts.get(name);
    if (facts) return facts;
    const constant = this.constants.get(name);
    if (constant) return { shape: constant.dims, dtype: 'float32', batchDims: constant.dims.map(() => false), values: constant.values };
    throw new GradientError(`no shape is known for value "${name}"`);
  }

  /** A gradient has the shape of the value it belongs to. */
  sameShape(gradient: string, value: string): string {
    if (!this.valueFacts.has(gradient)) this.valueFacts.set(gradient, this.facts(value));
    return gradient;
  }

  shape(name: string): number[] {
    return this.facts(name).shape;
  }

  rank(name: string): number {
    return this.shape(name).length;
  }

  /**
   * The values of a tensor that sets how an op works (axes, pads, starts, exponents): from an
   * initializer, a Constant node, or a computed value that does not change with the batch size.
   */
  staticValues(name: string, what: string): number[] {
    const constant = this.constants.get(name);
    if (constant?.values) return constant.values;
    const facts = this.valueFacts.get(name);
    if (!facts?.values) throw new GradientError(`the ${what} ("${name}") is not a constant the gradient can be built from`);
    if (facts.batchDependentValues) throw new GradientError(`the ${what} ("${name}") changes with the batch size`);
    return facts.values;
  }

  // ---- small building blocks -------------------------------------------------------------------

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  neg(a: string): string {
    return this.op('Neg', [a]);
  }
  scale(a: string, factor: number): string {
    return factor === 1 ? a : this.mul(a, this.scalar(factor));
  }

  /** ReduceSum takes its axes as an input from opset 13 on. */
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.opset >= 13 ? this.op('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 }) : this.op('ReduceSum', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMean takes its axes as an input from opset 18 on. */
  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    return this.opset >= 18 ? this.op('ReduceMean', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 }) : this.op('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints(axes)]) : this.op('Unsqueeze', [x], { axes });
  }

  /** x reshaped to the (run-time) shape of `like`. */
  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.op('Shape', [like])]);
  }

  /** A boolean tensor as 1.0 / 0.0, to multiply a gradient by (masks at ReLU-like kinks). */
  mask(condition: string): string {
    return this.op('Cast', [condition], { to: 1 });
  }

  zerosLike(x: string): string {
    return this.op('ConstantOfShape', [this.op('Shape', [x])], { value: floatTensor('', [1], [0]) });
  }

  /**
   * The gradient of a broadcasting op's output, summed back to the shape of one operand:
   * over the leading axes the operand lacks and the axes where it has size 1.
   */
  sumToShape(gradient: string, outputShape: number[], operand: string): string {
    const target = this.shape(operand);
    const lead = outputShape.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < outputShape.length; i++) {
      const dim = i < lead ? undefined : target[i - lead];
      if (dim === undefined || (dim === 1 && outputShape[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return gradient;
    const summed = this.reduceSum(gradient, axes, true);
    return lead > 0 ? this.reshapeLike(summed, operand) : summed;
  }
}

