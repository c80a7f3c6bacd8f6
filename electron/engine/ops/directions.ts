import { Matrix, solve } from 'ml-matrix';
import { ApiError } from '../../api/errors';
import { norm } from '../../common/vectors';
import { principalComponents, project, PCA_SAMPLE } from './projection';

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
export async function fitBoundary(codes: Float32Array, dim: number, positive: readonly number[], negative: readonly number[], ridge = 1e-3, iterations = 25): Promise<Boundary> {
  return dim <= BOUNDARY_EXACT_DIM ? fitInFull(codes, dim, positive, negative, ridge, iterations) : fitOnComponents(codes, dim, positive, negative, ridge, iterations);
}

/** Up to this many values per code, the boundary is fitted in the codes' own space. */
export const BOUNDARY_EXACT_DIM = 256;

/**
 * Larger codes (the Emoji VAE's [4, 16, 16], a 256 px VAE's 4,096 values): IRLS solves (dim + 1)² normal equations each
 * iteration, which in JavaScript took 19 s for 1,024 values and 240 codes and would take hours at 4,096, on the
 * engine's thread. There the hyperplane is fitted on the two sets' leading principal components (principalComponents:
 * at most 64, from at most PCA_SAMPLE of their codes) and the difference of their means, the part of it the components
 * miss (a label can differ along a direction of little variance), and its normal taken back to the codes' space.
 */
async function fitOnComponents(codes: Float32Array, dim: number, positive: readonly number[], negative: readonly number[], ridge: number, iterations: number): Promise<Boundary> {
  const rows = [...positive, ...negative];
  const picked = Array.from({ length: Math.min(rows.length, PCA_SAMPLE) }, (_, i) => rows[Math.floor((i * rows.length) / Math.min(rows.length, PCA_SAMPLE))]!);
  const sample = new Float32Array(picked.length * dim);
  picked.forEach((n, i) => sample.set(codes.subarray(n * dim, (n + 1) * dim), i * dim));
  // Its products on ONNX Runtime's thread and its eigen-decomposition on a worker: 512 codes of 4,096 values are seconds of JavaScript.
  const pca = await principalComponents(sample, picked.length, dim);
  const basis = withResidual(pca.components, dim, meanDifference(codes, dim, positive, negative));
  const rank = basis.length / dim;
  const coords = new Float32Array(rows.length * rank);
  rows.forEach((n, r) => coords.set(project(pca.mean, basis, dim, codes.subarray(n * dim, (n + 1) * dim)), r * rank));
  const reduced = fitInFull(coords, rank, positive.map((_, i) => i), negative.map((_, i) => positive.length + i), ridge, iterations);
  // w·P(x − mean) + b = (Pᵀw)·x + (b − (Pᵀw)·mean), with P's rows orthonormal: the normal is Pᵀw.
  const normal = new Float64Array(dim);
  for (let c = 0; c < rank; c++) for (let j = 0; j < dim; j++) normal[j]! += reduced.normal[c]! * basis[c * dim + j]!;
  const length = norm(normal) || 1;
  let offset = 0;
  for (let j = 0; j < dim; j++) offset += normal[j]! * pca.mean[j]!;
  return { normal: Float32Array.from(normal, (v) => v / length), bias: (reduced.bias - offset) / length, accuracy: reduced.accuracy };
}

/** Orthonormal rows (rank × dim) and, after them, the part of `extra` they do not span, normalised (if any is left). */
function withResidual(rows: Float32Array, dim: number, extra: Float32Array): Float32Array {
  const residual = Float64Array.from(extra);
  for (let c = 0; c < rows.length / dim; c++) {
    let along = 0;
    for (let j = 0; j < dim; j++) along += residual[j]! * rows[c * dim + j]!;
    for (let j = 0; j < dim; j++) residual[j]! -= along * rows[c * dim + j]!;
  }
  const length = norm(residual);
  if (length <= 1e-6 * (norm(extra) || 1)) return rows;
  const out = new Float32Array(rows.length + dim);
  out.set(rows);
  out.set(Float32Array.from(residual, (v) => v / length), rows.length);
  return out;
}

function fitInFull(codes: Float32Array, dim: number, positive: readonly number[], negative: readonly number[], ridge: number, iterations: number): Boundary {
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
