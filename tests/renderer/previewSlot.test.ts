import { describe, expect, it } from 'vitest';
import { nearestStored, previewSlot, type Run } from '../../renderer/src/state/diffuseStore';

const runWith = (previews: number[]) => ({ previews }) as unknown as Run;

describe('previewSlot', () => {
  it('is the position itself where every position kept its previews', () => {
    const run = runWith(Array.from({ length: 51 }, (_, i) => i));
    for (const p of [0, 1, 25, 50]) expect(previewSlot(run, p)).toBe(p);
  });

  it('is the nearest kept position of a long run, ties to the earlier, the ends included', () => {
    const run = runWith([0, 10, 20, 30]);
    expect([0, 4, 5, 6, 10, 14, 16, 29, 30, 31].map((p) => previewSlot(run, p))).toEqual([0, 0, 0, 1, 1, 1, 2, 3, 3, 3]);
  });

  it('nearestStored picks the stored position the same way', () => {
    const run = { stored: [0, 16, 31, 47] } as unknown as Run;
    expect([0, 8, 9, 23, 24, 40, 47, 50].map((p) => nearestStored(run, p))).toEqual([0, 0, 16, 16, 31, 47, 47, 47]);
  });
});
