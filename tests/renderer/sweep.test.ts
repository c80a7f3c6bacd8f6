import { describe, expect, it } from 'vitest';
import { joinBatches, type Uint8Tensor } from '../../electron/api/tensor';
import { farthestBeyond, nearCapacity, nearOrder, nextNear } from '../../renderer/src/views/edit/nearFrames';
import { evenlySpaced, frameOf, nearestSweepIndex, pieceFrames, sweepAmounts, sweepIndex, sweepPlan } from '../../renderer/src/views/edit/sweep';
import { median } from '../../renderer/src/lib/median';

describe('a direction slider’s sweep', () => {
  it('holds every amount the slider can take, as the slider rounds them', () => {
    const amounts = sweepAmounts(4);
    expect(amounts).toHaveLength(161);
    expect([amounts[0], amounts[80], amounts[160], amounts[87]]).toEqual([-4, 0, 4, 0.35]);
    expect(sweepAmounts(1)).toHaveLength(41);
  });

  it('finds a slider value on the grid and refuses one no slider produces', () => {
    for (const range of [1, 4, 7, 20]) {
      sweepAmounts(range).forEach((amount, k) => expect(sweepIndex(Number(amount.toFixed(2)), range)).toBe(k));
    }
    expect(sweepIndex(0.37, 4)).toBeUndefined();
    expect(sweepIndex(4.05, 4)).toBeUndefined();
    expect(sweepIndex(-4.05, 4)).toBeUndefined();
  });

  const bytes = (shape: number[], values: number[]): Uint8Tensor => ({ dtype: 'uint8', shape, data: Uint8Array.from(values) });

  it('gives one image of a batch as a view of the same memory', () => {
    const images = bytes([3, 1, 2, 2], Array.from({ length: 12 }, (_, i) => i));
    const frame = frameOf(images, 1);
    expect(frame.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(frame.data)).toEqual([4, 5, 6, 7]);
    expect(frame.data.buffer).toBe(images.data.buffer);
  });

  it('picks the strip’s evenly spaced frames with both ends', () => {
    expect(evenlySpaced(161, 9)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160]);
    expect(evenlySpaced(41, 9)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40]);
  });

  it('decodes the whole grid ahead only where the measured strip says it is cheap in time and memory', () => {
    const grid = sweepAmounts(4).length;
    const nine = (ms: number) => Array<number>(9).fill(ms);
    // Frames are 8-bit planes: one byte a value.
    // The bundled 28×28 VAE: about 0.3 ms a frame, 784 bytes a frame.
    expect(sweepPlan(nine(0.3), grid, 28 * 28)).toBe('grid');
    // The same with one slow call (the graph's first run, or the machine busy for a moment): still the grid.
    expect(sweepPlan([400, ...nine(0.3).slice(1)], grid, 28 * 28)).toBe('grid');
    // A 256×256 RGB VAE on this CPU: 65 ms a frame, so 161 frames would take 10 s.
    expect(sweepPlan(nine(65), grid, 256 * 256 * 3)).toBe('strip');
    // The same on a fast GPU: 0.3 s and 32 MB, decoded ahead.
    expect(sweepPlan(nine(2), grid, 256 * 256 * 3)).toBe('grid');
    // 512×512 on that GPU: quick to decode, but 161 frames would hold 127 MB.
    expect(sweepPlan(nine(2), grid, 512 * 512 * 3)).toBe('strip');
    // A 64×64 RGB model at 5 ms a frame: 0.8 s and 2 MB, decoded ahead.
    expect(sweepPlan(nine(5), grid, 64 * 64 * 3)).toBe('grid');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('decodes the grid in pieces of about 40 ms and at most 1 MiB, and joins them in order', () => {
    const grid = sweepAmounts(4).length;
    // 28×28×1 at 0.05 ms a frame: 784 bytes a frame, so the whole grid (126 KB) is one piece.
    expect(pieceFrames(0.05, 28 * 28, grid)).toBe(161);
    // 64×64×3 at 0.5 ms: 12 KB a frame, so 80 frames a piece by time (3 pieces, each within 1 MiB).
    expect(pieceFrames(0.5, 64 * 64 * 3, grid)).toBe(80);
    // 256×256×3 at 2 ms: 192 KB a frame, so 5 frames a piece by bytes.
    expect(pieceFrames(2, 256 * 256 * 3, grid)).toBe(5);
    // A slow decoder: 5 ms a frame, 8 frames a piece; never fewer than one.
    expect(pieceFrames(5, 1000, grid)).toBe(8);
    expect(pieceFrames(500, 1000, grid)).toBe(1);
    const a = bytes([2, 1, 1, 2], [1, 2, 3, 4]);
    const b = bytes([1, 1, 1, 2], [5, 6]);
    const joined = joinBatches([a, b]);
    expect(joined.shape).toEqual([3, 1, 1, 2]);
    expect(Array.from(joined.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('frames decoded ahead near the thumb, where the whole grid is too dear', () => {
  const grid = sweepAmounts(4).length;

  it('holds ±10 steps within 16 MiB: all of them up to 512 px, fewer for larger images', () => {
    expect(nearCapacity(28 * 28)).toBe(20);
    expect(nearCapacity(256 * 256 * 3)).toBe(20);
    expect(nearCapacity(512 * 512 * 3)).toBe(20);
    expect(nearCapacity(1024 * 1024 * 3)).toBe(5);
    expect(nearCapacity(4096 * 4096 * 3)).toBe(0);
  });

  it('finds the grid position of any amount, typed ones between steps included', () => {
    expect(nearestSweepIndex(0, 4)).toBe(80);
    expect(nearestSweepIndex(0.37, 4)).toBe(87);
    expect(nearestSweepIndex(-9, 4)).toBe(0);
    expect(nearestSweepIndex(9, 4)).toBe(160);
  });

  it('decodes nearest first, towards the side the thumb last moved, and stays on the slider', () => {
    expect(nearOrder(80, grid, 1).slice(0, 4)).toEqual([81, 79, 82, 78]);
    expect(nearOrder(80, grid, -1).slice(0, 4)).toEqual([79, 81, 78, 82]);
    expect(nearOrder(1, grid, 1)).toEqual([2, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(nearOrder(160, grid, 1)).toHaveLength(10);
    expect(nextNear(80, new Set([81, 79]), 20, grid)).toBe(82);
    // Everything within the budget held: nothing more to decode until the thumb moves.
    expect(nextNear(80, new Set(nearOrder(80, grid).slice(0, 4)), 4, grid)).toBeUndefined();
    expect(nextNear(80, new Set(), 0, grid)).toBeUndefined();
  });

  it('drops the frames farthest from the thumb once the budget is full', () => {
    expect(farthestBeyond(100, [81, 79, 82, 99, 101], 3).sort()).toEqual([79, 81]);
    expect(farthestBeyond(100, [99, 101], 3)).toEqual([]);
  });
});
