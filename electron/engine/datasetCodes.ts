import { ApiError } from '../api/errors';
import type { Float32Tensor } from '../api/tensor';
import { mahalanobis, principalComponents, type Projection } from './ops/projection';

/** The dataset's latent codes under each model, and their PCA, computed once and kept. */
export class DatasetCodes {
  private readonly codes = new Map<string, Float32Tensor>();
  private readonly projections = new Map<string, Projection>();
  private readonly distances = new Map<string, Float32Array>();

  get(model: string): Float32Tensor | undefined {
    return this.codes.get(model);
  }

  require(model: string): Float32Tensor {
    const codes = this.codes.get(model);
    if (!codes) throw new ApiError('not-found', `the dataset has not been encoded with "${model}" yet (run dataset.encode first)`, 'args.model');
    return codes;
  }

  set(model: string, codes: Float32Tensor): void {
    this.codes.set(model, codes);
    this.projections.delete(model);
    this.distances.delete(model);
  }

  projection(model: string): Projection {
    let projection = this.projections.get(model);
    if (!projection) {
      const codes = this.require(model);
      const dim = codes.data.length / codes.shape[0]!;
      projection = principalComponents(codes.data, codes.shape[0]!, dim);
      this.projections.set(model, projection);
    }
    return projection;
  }

  /** Every dataset code's Mahalanobis distance, sorted, for percentiles. */
  sortedDistances(model: string): Float32Array {
    let sorted = this.distances.get(model);
    if (!sorted) {
      const projection = this.projection(model);
      sorted = mahalanobis(projection, projection.coords).sort();
      this.distances.set(model, sorted);
    }
    return sorted;
  }

  forget(model: string): void {
    this.distances.delete(model);
    this.codes.delete(model);
    this.projections.delete(model);
  }
}
