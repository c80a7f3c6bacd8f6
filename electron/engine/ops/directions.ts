import { Matrix, solve } from 'ml-matrix';
import { ApiError } from '../../api/errors';
import { norm } from '../../common/vectors';

/** Δ = mean(z | with) − mean(z | without), accumulated in float64 (the classic latent arithmetic). */
export function meanDifference(codes: Float32Array, dim: number, positive: readonly number[], negative: readonly number[]): Float32Array {
  if (positive.length === 0 || negative.length === 0) throw new ApiError('bad-input', 'a mean-difference direction needs images with and without the attribute', 'args.positive');
  const mean = (indices: readonly number[]) => {
    const m = new Float64Array(dim);
    for (const n of indices) for (let j = 0; j < dim; j++) m[j]! += codes[n * dim + j]! / indices.length;
    return m;
  };
  const a = mean(positive);
  const b = mean(negative);
  return Float32Array.from(a, (v, j) => v - b[j]!);
}

export interface Boundary {
  /** Unit normal of the separating hyperplane, pointing towards the positive set. */
  normal: Float32Array;
  bias: number;
  /** Share of the two sets the hyperplane puts on the right side. */
  accuracy: number;
}

/**
 * A linear classifier in latent space (InterFaceGAN, Shen et al. 2020): logistic
 * regression fitted by iteratively reweighted least squares with a small ridge,
 * whose weight vector, normalised, is the editing direction.
 */
export function fitBoundary(codes: Float32Array, dim: number, positive: readonly number[], negative: readonly number[], ridge = 1e-3, iterations = 25): Boundary {
  const rows = [...positive, ...negative];
  const y = rows.map((_, i) => (i < positive.length ? 1 : 0));
  const X = new Matrix(rows.length, dim + 1);
  rows.forEach((n, r) => {
    for (let j = 0; j < dim; j++) X.set(r, j, codes[n * dim + j]!);
    X.set(r, dim, 1);
  });
  let w = Matrix.zeros(dim + 1, 1);
  for (let it = 0; it < iterations; it++) {
    const eta = X.mmul(w);
    const weights: number[] = [];
    const working = new Matrix(rows.length, 1);
    for (let r = 0; r < rows.length; r++) {
      const p = 1 / (1 + Math.exp(-eta.get(r, 0)));
      const s = Math.max(p * (1 - p), 1e-6);
      weights.push(s);
      working.set(r, 0, eta.get(r, 0) + (y[r]! - p) / s);
    }
    const XtW = X.transpose().clone();
    for (let r = 0; r < rows.length; r++) for (let j = 0; j <= dim; j++) XtW.set(j, r, XtW.get(j, r) * weights[r]!);
    const lhs = XtW.mmul(X);
    for (let j = 0; j < dim; j++) lhs.set(j, j, lhs.get(j, j) + ridge * rows.length);
    const next = solve(lhs, XtW.mmul(working));
    const change = next.clone().sub(w).norm();
    w = next;
    if (change < 1e-8) break;
  }
  const weight = Float64Array.from({ length: dim }, (_, j) => w.get(j, 0));
  const length = norm(weight) || 1;
  const predictions = X.mmul(w);
  let correct = 0;
  for (let r = 0; r < rows.length; r++) if (predictions.get(r, 0) > 0 === (y[r] === 1)) correct++;
  return { normal: Float32Array.from(weight, (v) => v / length), bias: w.get(dim, 0) / length, accuracy: correct / rows.length };
}
