import { elementCount, type Uint8Tensor } from '../../../../electron/api/tensor';
import { median } from '../../lib/median';

/** A direction slider moves in these steps, so every amount it can show is on one grid. */
export const SLIDER_STEP = 0.05;

/** How many steps a slider from −range to +range has. */
const gridSteps = (range: number) => Math.round((2 * range) / SLIDER_STEP);

/** Every amount a slider from −range to +range can take, as the slider itself rounds them. */
export function sweepAmounts(range: number): number[] {
  return Array.from({ length: gridSteps(range) + 1 }, (_, k) => Number((-range + k * SLIDER_STEP).toFixed(6)));
}

/** Where an amount sits on that grid, or undefined for an amount a slider cannot produce (typed or imported). */
export function sweepIndex(amount: number, range: number): number | undefined {
  const k = (amount + range) / SLIDER_STEP;
  const nearest = Math.round(k);
  return Math.abs(k - nearest) < 1e-6 && nearest >= 0 && nearest <= gridSteps(range) ? nearest : undefined;
}

/** The grid position nearest an amount, within the slider (typed or imported amounts may fall between steps or beyond). */
export function nearestSweepIndex(amount: number, range: number): number {
  return Math.min(gridSteps(range), Math.max(0, Math.round((amount + range) / SLIDER_STEP)));
}

/** Image k of a batch of 8-bit frames as a one-image tensor; a view, not a copy. */
export function frameOf(images: Uint8Tensor, k: number): Uint8Tensor {
  const [, ...image] = images.shape;
  const size = elementCount(image);
  return { dtype: 'uint8', shape: [1, ...image], data: images.data.subarray(k * size, (k + 1) * size) };
}

/** The indices of `count` evenly spaced frames of a sweep of `length` images, ends included. */
export function evenlySpaced(length: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / (count - 1)));
}

/** A whole slider grid is decoded ahead only when it is cheap: about this long to decode, and this much to hold. */
export const SWEEP_BUDGET_MS = 1500;
export const SWEEP_BUDGET_BYTES = 64 * 1024 * 1024;


/**
 * Whether to decode a slider's whole grid ahead ('grid', so drags paint at once) or only a strip of a
 * few frames ('strip', with drags decoded on demand, newest first), from the decode times measured on
 * the strip itself: cheap at 28×28, not at 256×256, and the machine (CPU or GPU) decides, not a size.
 * The median frame stands for all: one slow call (the graph's first run, a collection pause, another
 * process taking the core) must not turn a cheap model's grid off, as a sum of the nine did.
 */
export function sweepPlan(frameMs: readonly number[], gridFrames: number, bytesPerFrame: number): 'grid' | 'strip' {
  const gridMs = median(frameMs) * gridFrames;
  return gridMs <= SWEEP_BUDGET_MS && gridFrames * bytesPerFrame <= SWEEP_BUDGET_BYTES ? 'grid' : 'strip';
}

/** The grid is decoded in pieces of about this much decoding and at most this many bytes each. */
export const PIECE_MS = 40;
export const PIECE_BYTES = 1024 * 1024;

/**
 * Frames a piece of the grid holds: a drag's decode (on its own lane) waits for one piece at most, and no reply is
 * big enough to hold the page while it is converted (the 161 frames of a 64 px model in one reply: 7.9 MB).
 */
export function pieceFrames(msPerFrame: number, bytesPerFrame: number, gridFrames: number): number {
  const byTime = Math.floor(PIECE_MS / Math.max(msPerFrame, 1e-3));
  const byBytes = Math.floor(PIECE_BYTES / Math.max(bytesPerFrame, 1));
  return Math.max(1, Math.min(gridFrames, byTime, byBytes));
}

