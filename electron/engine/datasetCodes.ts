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
  private readonly computing = new Map<string, { codes: Float32Tensor; done: Promise<Projection> }>();
  /** Bumped when a key's codes are set or forgotten, so a PCA still running for the old codes is not kept. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly budget?: MemoryBudget) {}

  get(dataset: string, model: string): Float32Tensor | undefined {
    const key = keyOf(dataset, model);
    const codes = this.codes.get(key);
    if (codes) this.budget?.touch(`codes:${key}`);
    return codes;
  }

  set(dataset: string, model: string, codes: Float32Tensor): void {
    const key = keyOf(dataset, model);
    this.generations.set(key, this.generation(key) + 1);
    this.drop(key, this.projections, 'projection');
    this.drop(key, this.distances, 'distances');
    this.keep(key, this.codes, 'codes', codes, `codes of ${dataset} under ${model}`, codes.data.byteLength);
  }

  /**
   * The PCA of the codes (the ones given: what ensureCodes returned, so an eviction in between cannot lose them),
   * computed once however many callers ask while it runs; its products run on ONNX Runtime's thread, so the engine
   * answers other calls meanwhile.
   */
  async projection(dataset: string, model: string, codes: Float32Tensor): Promise<Projection> {
    const key = keyOf(dataset, model);
    const kept = this.projections.get(key);
    if (kept) {
      this.budget?.touch(`projection:${key}`);
      return kept;
    }
    const running = this.computing.get(key);
    if (running?.codes === codes) return running.done;
    const generation = this.generation(key);
    const done = principalComponents(codes.data, codes.shape[0]!, codes.data.length / codes.shape[0]!).then((projection) => {
      // Codes set or forgotten meanwhile: this PCA is of codes no longer current, so it is returned, not kept.
      if (this.generation(key) === generation) {
        const bytes = [projection.mean, projection.components, projection.variance, projection.explained, projection.coords].reduce((n, a) => n + a.byteLength, 0);
        this.keep(key, this.projections, 'projection', projection, `PCA of ${dataset} under ${model}`, bytes);
      }
      return projection;
    });
    this.computing.set(key, { codes, done });
    const forget = () => {
      if (this.computing.get(key)?.done === done) this.computing.delete(key);
    };
    done.then(forget, forget);
    return done;
  }

  /** Every dataset code's Mahalanobis distance, sorted, for percentiles. */
  async sortedDistances(dataset: string, model: string, codes: Float32Tensor): Promise<Float32Array> {
    const key = keyOf(dataset, model);
    const kept = this.distances.get(key);
    if (kept) {
      this.budget?.touch(`distances:${key}`);
      return kept;
    }
    const generation = this.generation(key);
    const projection = await this.projection(dataset, model, codes);
    const sorted = mahalanobis(projection, projection.coords).sort();
    if (this.generation(key) === generation) this.keep(key, this.distances, 'distances', sorted, `distances from ${dataset} under ${model}`, sorted.byteLength);
    return sorted;
  }

  private generation(key: string): number {
    return this.generations.get(key) ?? 0;
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
        if ((which.model === undefined || which.model === model) && (which.dataset === undefined || which.dataset === dataset)) {
          this.generations.set(key, this.generation(key) + 1);
          this.drop(key, map, prefix);
        }
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
