import type { Uint8Tensor } from '../../../electron/api/tensor';

/** Whether this machine stores a 32-bit word's lowest byte first, so one word write sets R, G, B, A in that order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Pixels of one image from a [batch, channels, height, width] tensor, as RGBA for a canvas. */
export function imageToRgba(
  data: Float32Array | Uint8Array,
  index: number,
  channels: number,
  height: number,
  width: number,
): Uint8ClampedArray<ArrayBuffer> {
  const plane = height * width;
  const base = index * channels * plane;
  const rgba = new Uint8ClampedArray(plane * 4);
  if (data instanceof Uint8Array && LITTLE_ENDIAN) {
    // 8-bit planes (what the engine sends for display), a pixel a word: a 1024 px image in 3.1 ms instead of 9.4-10.6,
    // a 512 px one in 1.2 instead of 2.9-4.7 (medians in Node), on the main thread whenever a picture changes.
    const words = new Uint32Array(rgba.buffer);
    const [r, g, b] = channels === 1 ? [base, base, base] : [base, base + plane, base + 2 * plane];
    for (let p = 0; p < plane; p++) words[p] = 0xff000000 | (data[b + p]! << 16) | (data[g + p]! << 8) | data[r + p]!;
    return rgba;
  }
  const scale = data instanceof Uint8Array ? 1 : 255;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = data[base + (channels === 1 ? 0 : c) * plane + p]! * scale;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * Frames of one tensor converted for a canvas, by index, within a byte budget: a player shows each frame many times,
 * and converting a 512 px frame again at every tick took 40-75 ms of the page's main thread (8 ticks a second).
 */
export class FrameCache {
  private readonly frames = new Map<number, ImageData>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(index: number, make: () => ImageData): ImageData {
    const kept = this.frames.get(index);
    if (kept) return kept;
    const made = make();
    if (this.bytes + made.data.byteLength <= this.maxBytes) {
      this.frames.set(index, made);
      this.bytes += made.data.byteLength;
    }
    return made;
  }
}

/**
 * `frames` ([total, ...], 8-bit) with a run of images written in from index `at`, as a new tensor, so tiles showing it
 * draw again (a grid or strip filling as its runs come). Frames of another shape (another model's, another count) are
 * not carried over: the rest is blank, and `kept` says which it was.
 */
export function withRun(frames: Uint8Tensor | undefined, run: Uint8Tensor, at: number, total: number): { images: Uint8Tensor; kept: boolean } {
  const shape = [total, ...run.shape.slice(1)];
  const kept = !!frames && frames.shape.length === shape.length && frames.shape.every((n, i) => n === shape[i]);
  const per = run.data.length / run.shape[0]!;
  const data = kept ? frames.data.slice() : new Uint8Array(per * total);
  data.set(run.data, at * per);
  return { images: { dtype: 'uint8', shape, data }, kept };
}

/**
 * A strip's frames as its runs come, one 8-bit picture per frame: a run's frames are written in as views of its own
 * bytes, and the others stay the arrays they were, so only the tiles of new frames draw again. (A strip of 32 frames at
 * 256 px was copied whole, 6.3 MB, at every run, and every tile drew again: work that grew as frames², in tasks of up
 * to 123 ms.) Frames of another count or size are not carried over.
 */
export function framesWithRun(frames: readonly (Uint8Array | undefined)[] | undefined, run: Uint8Tensor, at: number, total: number): (Uint8Array | undefined)[] {
  const count = run.shape[0]!;
  const per = run.data.length / count;
  const fits = !!frames && frames.length === total && frames.every((f) => f === undefined || f.length === per);
  const next = fits ? [...frames] : new Array<Uint8Array | undefined>(total).fill(undefined);
  for (let k = 0; k < count; k++) next[at + k] = run.data.subarray(k * per, (k + 1) * per);
  return next;
}
