import { ApiError } from '../api/errors';
import type { Float32Tensor } from '../api/tensor';
import { mahalanobis, principalComponents, type Projection } from './ops/projection';

const keyOf = (dataset: string, model: string) => `${dataset}\u0000${model}`;

/** Each dataset's latent codes under each model, and their PCA, computed once and kept. */
export class DatasetCodes {
  private readonly codes = new Map<string, Float32Tensor>();
  private readonly projections = new Map<string, Projection>();
  private readonly distances = new Map<string, Float32Array>();

  get(dataset: string, model: string): Float32Tensor | undefined {
    return this.codes.get(keyOf(dataset, model));
  }

  require(dataset: string, model: string): Float32Tensor {
    const codes = this.get(dataset, model);
    if (!codes) throw new ApiError('not-found', `the dataset has not been encoded with "${model}" yet (run dataset.encode first)`, 'args.model');
    return codes;
  }

  set(dataset: string, model: string, codes: Float32Tensor): void {
    const key = keyOf(dataset, model);
    this.codes.set(key, codes);
    this.projections.delete(key);
    this.distances.delete(key);
  }

  projection(dataset: string, model: string): Projection {
    const key = keyOf(dataset, model);
    let projection = this.projections.get(key);
    if (!projection) {
      const codes = this.require(dataset, model);
      const dim = codes.data.length / codes.shape[0]!;
      projection = principalComponents(codes.data, codes.shape[0]!, dim);
      this.projections.set(key, projection);
    }
    return projection;
  }

  /** Every dataset code's Mahalanobis distance, sorted, for percentiles. */
  sortedDistances(dataset: string, model: string): Float32Array {
    const key = keyOf(dataset, model);
    let sorted = this.distances.get(key);
    if (!sorted) {
      const projection = this.projection(dataset, model);
      sorted = mahalanobis(projection, projection.coords).sort();
      this.distances.set(key, sorted);
    }
    return sorted;
  }

  /** Drops what was computed for a model (every dataset), or for a dataset (every model). */
  forget(which: { model?: string; dataset?: string }): void {
    for (const map of [this.codes, this.projections, this.distances]) {
      for (const key of [...map.keys()]) {
        const [dataset, model] = key.split('\u0000');
        if ((which.model === undefined || which.model === model) && (which.dataset === undefined || which.dataset === dataset)) map.delete(key);
      }
    }
  }
}
