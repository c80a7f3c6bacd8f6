import type { Float32Tensor } from '../api/tensor';
import { mahalanobis, principalComponents, type Projection } from './ops/projection';
import type { MemoryBudget } from './runtime/memoryBudget';

const keyOf = (dataset: string, model: string) => `${dataset}\u0000${model}`;

/**
 * Each dataset's latent codes under each model, and their PCA, computed once and kept within the engine's
 * memory budget: an evicted entry is encoded again (from the folder's cache on disk, for a user's folder) or
 * recomputed on its next use, which is why callers get codes through the engine's ensureCodes.
 */
export class DatasetCodes {
  private readonly codes = new Map<string, Float32Tensor>();
  private readonly projections = new Map<string, Projection>();
  private readonly distances = new Map<string, Float32Array>();

  constructor(private readonly budget?: MemoryBudget) {}

  get(dataset: string, model: string): Float32Tensor | undefined {
    const key = keyOf(dataset, model);
    const codes = this.codes.get(key);
    if (codes) this.budget?.touch(`codes:${key}`);
    return codes;
  }

  set(dataset: string, model: string, codes: Float32Tensor): void {
    const key = keyOf(dataset, model);
    this.drop(key, this.projections, 'projection');
    this.drop(key, this.distances, 'distances');
    this.keep(key, this.codes, 'codes', codes, `codes of ${dataset} under ${model}`, codes.data.byteLength);
  }

  /** The PCA of the codes (the ones given: what ensureCodes returned, so an eviction in between cannot lose them). */
  projection(dataset: string, model: string, codes: Float32Tensor): Projection {
    const key = keyOf(dataset, model);
    let projection = this.projections.get(key);
    if (projection) this.budget?.touch(`projection:${key}`);
    else {
      const dim = codes.data.length / codes.shape[0]!;
      projection = principalComponents(codes.data, codes.shape[0]!, dim);
      const bytes = [projection.mean, projection.components, projection.variance, projection.explained, projection.coords].reduce((n, a) => n + a.byteLength, 0);
      this.keep(key, this.projections, 'projection', projection, `PCA of ${dataset} under ${model}`, bytes);
    }
    return projection;
  }

  /** Every dataset code's Mahalanobis distance, sorted, for percentiles. */
  sortedDistances(dataset: string, model: string, codes: Float32Tensor): Float32Array {
    const key = keyOf(dataset, model);
    let sorted = this.distances.get(key);
    if (sorted) this.budget?.touch(`distances:${key}`);
    else {
      const projection = this.projection(dataset, model, codes);
      sorted = mahalanobis(projection, projection.coords).sort();
      this.keep(key, this.distances, 'distances', sorted, `distances from ${dataset} under ${model}`, sorted.byteLength);
    }
    return sorted;
  }

  /** Drops what was computed for a model (every dataset), or for a dataset (every model). */
  forget(which: { model?: string; dataset?: string }): void {
    for (const [map, prefix] of [
      [this.codes, 'codes'],
      [this.projections, 'projection'],
      [this.distances, 'distances'],
    ] as const) {
      for (const key of [...map.keys()]) {
        const [dataset, model] = key.split('\u0000');
        if ((which.model === undefined || which.model === model) && (which.dataset === undefined || which.dataset === dataset)) this.drop(key, map, prefix);
      }
    }
  }

  private keep<T>(key: string, map: Map<string, T>, prefix: string, value: T, label: string, bytes: number): void {
    map.set(key, value);
    this.budget?.add(`${prefix}:${key}`, { kind: prefix === 'codes' ? 'codes' : 'projections', label, bytes, release: () => map.delete(key) });
  }

  private drop(key: string, map: Map<string, unknown>, prefix: string): void {
    map.delete(key);
    this.budget?.remove(`${prefix}:${key}`);
  }
}
