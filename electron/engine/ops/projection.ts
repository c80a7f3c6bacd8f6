import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface Projection {
  dim: number;
  mean: Float32Array;
  /** Principal directions, one per row (dim × dim), by decreasing variance. */
  components: Float32Array;
  variance: Float32Array;
  /** Share of the total variance each component explains. */
  explained: Float32Array;
  /** Every code's coordinates on every component (count × dim). */
  coords: Float32Array;
}

/** PCA of `count` codes of `dim` values: the eigen-decomposition of their covariance (ml-matrix). */
export function principalComponents(codes: Float32Array, count: number, dim: number): Projection {
  const mean = new Float64Array(dim);
  for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) mean[j]! += codes[n * dim + j]! / count;
  const centred = new Matrix(count, dim);
  for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) centred.set(n, j, codes[n * dim + j]! - mean[j]!);
  const covariance = centred.transpose().mmul(centred).div(Math.max(1, count - 1));
  const evd = new EigenvalueDecomposition(covariance, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value);
  const vectors = evd.eigenvectorMatrix;
  const components = new Float32Array(dim * dim);
  const variance = new Float32Array(dim);
  order.forEach(({ value, index }, row) => {
    variance[row] = Math.max(0, value);
    // A fixed sign (largest entry positive) so projections do not flip between runs.
    const column = vectors.getColumn(index);
    const sign = Math.sign(column.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0)) || 1;
    for (let j = 0; j < dim; j++) components[row * dim + j] = sign * column[j]!;
  });
  const total = variance.reduce((a, b) => a + b, 0) || 1;
  const coords = project(Float32Array.from(mean), components, dim, codes);
  return { dim, mean: Float32Array.from(mean), components, variance, explained: variance.map((v) => v / total), coords };
}

/** Coordinates of codes on the components: (code − mean) · componentᵢ. */
export function project(mean: Float32Array, components: Float32Array, dim: number, codes: Float32Array): Float32Array {
  const count = codes.length / dim;
  const out = new Float32Array(count * dim);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < dim; c++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += (codes[n * dim + j]! - mean[j]!) * components[c * dim + j]!;
      out[n * dim + c] = sum;
    }
  }
  return out;
}

/** Mahalanobis distance of codes under the projection's covariance: √Σ (coordᵢ² / varianceᵢ) over components with variance. */
export function mahalanobis(projection: Projection, coords: Float32Array): Float32Array {
  const { dim, variance } = projection;
  const count = coords.length / dim;
  const out = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let sum = 0;
    for (let c = 0; c < dim; c++) if (variance[c]! > 1e-12) sum += coords[n * dim + c]! ** 2 / variance[c]!;
    out[n] = Math.sqrt(sum);
  }
  return out;
}
