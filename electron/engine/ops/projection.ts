import { symmetricEigen } from '../runtime/eigenThread';
import { centredCrossProduct, matmulRows, transpose } from './matmul';
import { forEachRow } from './rowLoop';

export interface Projection {
  /** Values per code. */
  dim: number;
  /** Components kept: every one for small codes, the leading ones for large codes (see principalComponents). */
  rank: number;
  mean: Float32Array;
  /** Principal directions, one per row (rank × dim), by decreasing variance. */
  components: Float32Array;
  variance: Float32Array;
  /** Share of the total variance each component explains. */
  explained: Float32Array;
  /** Every code's coordinates on the components (count × rank). */
  coords: Float32Array;
}

/** Up to this many values per code, PCA is exact: the dim × dim covariance's eigen-decomposition (256³ is instant). */
export const EXACT_PCA_DIM = 256;
/** Past it (a 256 px spatial latent has 4,096), the leading components from this many codes at most... */
export const PCA_SAMPLE = 512;
/** ...and at most this many of them: a 4,096² eigen-decomposition in JavaScript takes minutes and stalls the engine. */
export const PCA_MAX_RANK = 64;

/** Every component of a dim × dim covariance, by decreasing variance, from its eigenvalues and eigenvector(i). */
function covarianceComponents(values: ArrayLike<number>, eigenvector: (i: number) => number[], dim: number) {
  const order = Array.from(values, (value, index) => ({ value, index })).sort((a, b) => b.value - a.value);
  const components = new Float32Array(dim * dim);
  const variance = new Float32Array(dim);
  order.forEach(({ value, index }, row) => {
    variance[row] = Math.max(0, value);
    components.set(fixedSign(eigenvector(index)), row * dim);
  });
  return { components, variance, total: variance.reduce((a, b) => a + b, 0) };
}

/**
 * The leading PCA_MAX_RANK eigenpairs of a Gram matrix with variance, by decreasing eigenvalue; at most `rank` of them:
 * codes centred on their own mean span one dimension less than their count, and the eigenvalue past that is rounding
 * (in a float32 product, not below the 1e-9 the rest are held to).
 */
function leadingOrder(values: ArrayLike<number>, rank: number): { value: number; index: number }[] {
  return Array.from(values, (value, index) => ({ value, index }))
    .filter(({ value }) => value > 1e-9)
    .sort((a, b) => b.value - a.value)
    .slice(0, Math.min(PCA_MAX_RANK, rank));
}

/** The rank the Gram matrix of `sample` codes of `count` can have: all of them centred on their mean lose one. */
const sampleRank = (count: number, sample: number) => (sample === count ? count - 1 : sample);

/** Rows evenly spaced through `count`, at most PCA_SAMPLE of them: the codes the Gram matrix is made of. */
const sampleRows = (count: number) => Array.from({ length: Math.min(count, PCA_SAMPLE) }, (_, i) => Math.floor((i * count) / Math.min(count, PCA_SAMPLE)));

/**
 * PCA of `count` codes of `dim` values. Small codes: every component, from the covariance. Large codes: the leading
 * PCA_MAX_RANK components from the Gram matrix of up to PCA_SAMPLE evenly spaced codes (its eigenvectors, mapped back
 * through the codes, are the covariance's; Σ = XᵀX and G = XXᵀ share their nonzero eigenvalues), with the total
 * variance of all the codes for the shares explained. Every product over the codes (the covariance, the Gram matrix,
 * the components mapped back, every code's coordinates) runs by ONNX Runtime in blocks (ops/matmul.ts), the
 * eigen-decomposition (at most 512 × 512) on a worker thread (runtime/eigenThread.ts): in JavaScript loops on the
 * engine's thread, 10,000 codes of 4,096 values held it 9.9 s. What is left there (the mean, the total variance) yields
 * as it goes.
 */
export async function principalComponents(codes: Float32Array, count: number, dim: number): Promise<Projection> {
  const mean = new Float64Array(dim);
  await forEachRow(count, dim, (n) => {
    for (let j = 0; j < dim; j++) mean[j]! += codes[n * dim + j]!;
  });
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  let result: { components: Float32Array; variance: Float32Array; total: number };
  if (dim <= EXACT_PCA_DIM) {
    const covariance = await centredCrossProduct(codes, count, dim, mean);
    for (let i = 0; i < dim * dim; i++) covariance[i]! /= Math.max(1, count - 1);
    const { values, vectors } = await symmetricEigen(covariance, dim);
    result = covarianceComponents(values, (i) => Array.from({ length: dim }, (_, j) => vectors[j * dim + i]!), dim);
  } else {
    const rows = sampleRows(count);
    const s = rows.length;
    const sample = new Float32Array(s * dim);
    rows.forEach((n, a) => {
      for (let j = 0; j < dim; j++) sample[a * dim + j] = codes[n * dim + j]! - mean[j]!;
    });
    const g = await matmulRows(sample, s, dim, transpose(sample, s, dim), s);
    const gram = new Float64Array(s * s);
    // Symmetric exactly (a float32 product need not be): the eigen-decomposition assumes it.
    for (let a = 0; a < s; a++) for (let b = a; b < s; b++) gram[a * s + b] = gram[b * s + a] = g[a * s + b]!;
    const { values, vectors } = await symmetricEigen(gram, s);
    const order = leadingOrder(values, sampleRank(count, s));
    // v = Xᵀu / √λ for each eigenpair (λ, u) of G: the rows of Uᵀ X, scaled.
    const ut = new Float32Array(order.length * s);
    order.forEach(({ value, index }, row) => {
      for (let a = 0; a < s; a++) ut[row * s + a] = vectors[a * s + index]! / Math.sqrt(value);
    });
    const mapped = await matmulRows(ut, order.length, s, sample, dim);
    const components = new Float32Array(order.length * dim);
    order.forEach((_, row) => components.set(fixedSign(Array.from(mapped.subarray(row * dim, (row + 1) * dim))), row * dim));
    let total = 0;
    await forEachRow(count, dim, (n) => {
      for (let j = 0; j < dim; j++) total += (codes[n * dim + j]! - mean[j]!) ** 2;
    });
    result = { components, variance: Float32Array.from(order, ({ value }) => value / Math.max(1, s - 1)), total: total / Math.max(1, count - 1) };
  }
  const { components, variance, total } = result;
  const rank = variance.length;
  const mean32 = Float32Array.from(mean);
  // (x − μ)·c = x·c − μ·c: the codes go to the product as they are, the mean's share taken off after.
  const coords = await matmulRows(codes, count, dim, transpose(components, rank, dim), rank);
  const meanShare = Array.from({ length: rank }, (_, c) => components.subarray(c * dim, (c + 1) * dim).reduce((sum, v, j) => sum + v * mean[j]!, 0));
  for (let n = 0; n < count; n++) for (let c = 0; c < rank; c++) coords[n * rank + c]! -= meanShare[c]!;
  return { dim, rank, mean: mean32, components, variance, explained: variance.map((v) => v / (total || 1)), coords };
}

/** A fixed sign (largest entry positive), so projections do not flip between runs. */
export function fixedSign(column: number[]): number[] {
  const sign = Math.sign(column.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0)) || 1;
  return column.map((v) => sign * v);
}

/** Coordinates of codes on the components (rank × dim): (code − mean) · componentᵢ, count × rank. */
export function project(mean: Float32Array, components: Float32Array, dim: number, codes: Float32Array): Float32Array {
  const count = codes.length / dim;
  const rank = components.length / dim;
  const out = new Float32Array(count * rank);
  const centred = new Float32Array(dim);
  for (let n = 0; n < count; n++) {
    for (let j = 0; j < dim; j++) centred[j] = codes[n * dim + j]! - mean[j]!;
    for (let c = 0; c < rank; c++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += centred[j]! * components[c * dim + j]!;
      out[n * rank + c] = sum;
    }
  }
  return out;
}

/**
 * Mahalanobis distance of codes under the projection's covariance: √Σ (coordᵢ² / varianceᵢ) over components with
 * variance (for large codes, over the leading components kept).
 */
export function mahalanobis(projection: Projection, coords: Float32Array): Float32Array {
  const { rank, variance } = projection;
  const count = coords.length / rank;
  const out = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let sum = 0;
    for (let c = 0; c < rank; c++) if (variance[c]! > 1e-12) sum += coords[n * rank + c]! ** 2 / variance[c]!;
    out[n] = Math.sqrt(sum);
  }
  return out;
}
