import { ApiError } from '../../api/errors';
import type { Float32Tensor } from '../../api/tensor';
import type { ModelHost } from '../models/host';
import { encodeDataset } from '../ops/datasetEncode';
import type { ImageTarget } from '../ops/imageIO';
import { byteTable, type Range } from '../ops/imageRange';
import type { DatasetSample } from './sample';

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DatasetJob {
  signal: AbortSignal;
  progress(update: { done: number; total: number; skipped?: number }): void;
}

/**
 * What every dataset-driven feature needs of a dataset, whether it is the bundled sample or a
 * folder of the user's images: its labels, images to show, images fitted to a model, and codes.
 */
export interface Dataset {
  id: string;
  name: string;
  source: 'bundled' | 'folder';
  folder?: string;
  count: number;
  /** One label number per image, indexing labelNames. */
  labels: Int32Array | Uint8Array;
  labelNames: string[];
  /** Every way the images are labelled, the labels above first: what Explore can colour by. */
  labelSets: LabelSet[];
  license: string;
  /** The size of the images `thumbnails` returns. */
  thumb: ImageTarget;
  skipped: SkippedFile[];
  problem?: string;
  /** Images to show, uint8 [n, c, h, w] at `thumb`'s size. */
  thumbnails(indices: number[]): Promise<Uint8Array>;
  /** Images as a model takes them, [n, c, h, w] in [0, 1], or in the model's `range` when given. */
  modelImages(target: ImageTarget, indices: number[], range?: Range): Promise<Float32Array>;
  /** A file name for image `index`'s outputs, without extension ("fashion-mnist-12", "Bag/bag-004"). */
  outputName(index: number): string;
  /** The codes of every image under a model, as a job. */
  encode(host: ModelHost, modelId: string, batchSize: number, job: DatasetJob): Promise<Float32Tensor>;
}

export interface LabelSet {
  name: string;
  labelNames: string[];
  labels: Int32Array | Uint8Array;
}

export const BUNDLED_DATASET = 'bundled';

/** A sample the app ships (Fashion-MNIST's test set, the emoji test split): models read its images as they are, at its own size. */
export class BundledDataset implements Dataset {
  readonly source = 'bundled';
  readonly skipped: SkippedFile[] = [];
  readonly thumb: ImageTarget;

  constructor(
    private readonly sample: DatasetSample,
    readonly id: string = BUNDLED_DATASET,
  ) {
    this.thumb = { channels: sample.channels as 1 | 3, height: sample.height, width: sample.width };
  }
  get name() {
    return this.sample.name;
  }
  get count() {
    return this.sample.count;
  }
  get labels() {
    return this.sample.labels;
  }
  get labelNames() {
    return this.sample.labelNames;
  }
  get labelSets(): LabelSet[] {
    return [{ name: this.sample.labelsName, labelNames: this.sample.labelNames, labels: this.sample.labels }, ...this.sample.otherLabels];
  }
  get license() {
    return this.sample.license;
  }

  async thumbnails(indices: number[]): Promise<Uint8Array> {
    const size = this.thumb.channels * this.thumb.height * this.thumb.width;
    const out = new Uint8Array(indices.length * size);
    indices.forEach((index, i) => out.set(this.sample.pixels.subarray(index * size, (index + 1) * size), i * size));
    return out;
  }

  async modelImages(target: ImageTarget, indices: number[], range?: Range): Promise<Float32Array> {
    const { channels, height, width } = this.thumb;
    if (target.channels !== channels || target.height !== height || target.width !== width) {
      throw new ApiError('bad-input', `the model takes ${target.width}×${target.height}×${target.channels} images; ${this.name} holds ${width}×${height}×${channels}: open a folder of your own images as a dataset for it`, 'args.dataset');
    }
    const table = byteTable(range);
    return Float32Array.from(await this.thumbnails(indices), (v) => table[v]!);
  }

  outputName(index: number): string {
    return this.id === BUNDLED_DATASET ? `dataset-${index}` : `${this.id.replace(/^bundled-/, '')}-${index}`;
  }

  encode(host: ModelHost, modelId: string, batchSize: number, job: DatasetJob): Promise<Float32Tensor> {
    return encodeDataset(host, this.sample, modelId, batchSize, job);
  }
}
