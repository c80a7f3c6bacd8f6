import type { GraphBuilder } from '../builder';
import type { NodeProto } from '../onnxModel';

/** What a gradient rule sees of one forward node. */
export interface GradientContext {
  node: NodeProto;
  b: GraphBuilder;
  /** The node's input and output value names ('' for an omitted optional input). */
  inputs: string[];
  outputs: string[];
  /** dL/d(output i), or undefined where that output does not reach the loss. */
  dY: (string | undefined)[];
  /** Which inputs lie on the path from the differentiated input (only those need a gradient). */
  needs: boolean[];
}

/** Returns dL/d(input i) for each input that needs one (the vector-Jacobian product of the op). */
export type GradientRule = (c: GradientContext) => (string | undefined)[];

/** The single output's gradient, for ops with one output. */
export function outputGradient(c: GradientContext): string {
  const g = c.dY[0];
  if (!g) throw new Error(`${c.node.opType} "${c.node.name}" has no gradient for its output`);
  return g;
}

/** Builds only the gradients that are needed. */
export function each(c: GradientContext, ...makers: (((g: string) => string) | undefined)[]): (string | undefined)[] {
  const g = outputGradient(c);
  return makers.map((make, i) => (c.needs[i] && make ? make(g) : undefined));
}
