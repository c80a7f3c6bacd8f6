/** Coordinates of codes on the encoding's principal components (code − mean) · PCᵢ, for the three shown axes. */
export function projectCodes(encoding: Encoding3D, codes: Float32Array, axes: readonly number[]): Float32Array {
  const { dim, mean, components } = encoding;
  const count = codes.length / dim;
  const out = new Float32Array(count * 3);
  for (let n = 0; n < count; n++) {
    axes.forEach((axis, a) => {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += (codes[n * dim + j]! - mean[j]!) * components[axis * dim + j]!;
      out[n * 3 + a] = sum;
    });
  }
  return out;
}

export type Encoding3D = { dim: number; mean: Float32Array; components: Float32Array };
