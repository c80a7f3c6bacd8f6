import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';
import { RUN_BYTES } from '../runtime/sessions';
import { displayBytes } from './diffusionPreview';

/** What decodeForDisplay is told and tells while it works: cancel, progress, and each run's pictures as they come. */
export interface DisplayJob {
  signal?: AbortSignal;
  /** After each run, where there is more than one (at 1024 px a run is one image, 1.4 s on a CPU; a slider's says nothing). */
  progress?: (done: number, total: number, images: Uint8Tensor) => void;
  /** Every run's pictures, the codes [start, start + images.shape[0]), one run or many. */
  piece?: (start: number, images: Uint8Tensor) => void;
}

/**
 * What decodeForDisplay takes of a call that reports how far it is and can be cancelled; with `withImages`, each
 * report carries the run's images too, so a grid can show them as they come.
 */
export const displayJob = (call: { signal: AbortSignal; progress(p: { done: number; total: number; images?: Uint8Tensor }): void }, withImages = false): DisplayJob => ({
  signal: call.signal,
  progress: (done: number, total: number, images: Uint8Tensor) => call.progress(withImages ? { done, total, images } : { done, total }),
});

/**
 * Codes decoded for display a run's worth at a time (RUN_BYTES of images), each piece made 8-bit planes as it comes
 * back, into one array. Decoded whole, a strip's float images (32 frames at 256 px: 25 MB) were joined, brought to
 * [0, 1] and then to bytes in one go after the last run, holding the engine's thread 114-133 ms.
 */
export async function decodeForDisplay(
  codes: Float32Tensor,
  imageValues: number,
  decode: (piece: Float32Tensor) => Promise<Float32Tensor>,
  maxSide = Infinity,
  /** For a call that reports progress and can be cancelled: checked between pieces and told after each. */
  job?: DisplayJob,
): Promise<Uint8Tensor> {
  const count = codes.shape[0] ?? 0;
  // No codes: decode refuses them with its own message.
  if (count === 0) return displayBytes(await decode(codes), maxSide);
  const per = codes.data.length / count;
  const piece = Math.max(1, Math.floor(RUN_BYTES / (4 * Math.max(1, imageValues))));
  let out: Uint8Tensor | undefined;
  for (let start = 0; start < count; start += piece) {
    if (job?.signal?.aborted) throw new ApiError('cancelled', `decoding was cancelled after ${start} of ${count} images`);
    const n = Math.min(piece, count - start);
    const images = displayBytes(await decode(float32Tensor([n, ...codes.shape.slice(1)], codes.data.subarray(start * per, (start + n) * per))), maxSide);
    const size = images.data.length / n;
    out ??= { dtype: 'uint8', shape: [count, ...images.shape.slice(1)], data: new Uint8Array(size * count) };
    out.data.set(images.data, start * size);
    job?.piece?.(start, images);
    if (piece < count) job?.progress?.(start + n, count, images);
  }
  return out!;
}
