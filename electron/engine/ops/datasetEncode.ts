import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { DatasetSample } from '../dataset/sample';
import type { ModelHost } from '../models/host';
import { bytesToRange } from './imageRange';
import { encodeInRange, encoderRole } from './latentCodec';

export interface JobContext<P> {
  signal: AbortSignal;
  progress(update: P): void;
}

/**
 * Encodes the whole dataset sample to posterior means, batch by batch, checking
 * for cancellation between batches. Codes are cached per model.
 */
export async function encodeDataset(
  host: ModelHost,
  dataset: DatasetSample,
  modelId: string,
  batchSize: number,
  ctx: JobContext<{ done: number; total: number }>,
): Promise<Float32Tensor> {
  const model = host.model(modelId);
  const role = encoderRole(model);
  const { channels, height, width, range } = model.manifest.image;
  if (channels !== dataset.channels || height !== dataset.height || width !== dataset.width) {
    throw new ApiError('bad-input', `model "${modelId}" takes ${width}×${height}×${channels} images; the dataset holds ${dataset.width}×${dataset.height}×${dataset.channels}`, 'args.model');
  }
  const latentSize = model.manifest.latent!.shape.reduce((a, b) => a * b, 1);
  const imageSize = channels * height * width;
  const codes = new Float32Array(dataset.count * latentSize);
  for (let start = 0; start < dataset.count; start += batchSize) {
    if (ctx.signal.aborted) throw new ApiError('cancelled', 'dataset encoding was cancelled');
    const n = Math.min(batchSize, dataset.count - start);
    const x = float32Tensor([n, channels, height, width], bytesToRange(dataset.pixels.subarray(start * imageSize, (start + n) * imageSize), range));
    const { mean } = await encodeInRange(host, model, role, x);
    codes.set(mean.data, start * latentSize);
    ctx.progress({ done: start + n, total: dataset.count });
  }
  return float32Tensor([dataset.count, ...model.manifest.latent!.shape], codes);
}
