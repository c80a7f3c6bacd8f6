import { describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import { decodeForDisplay, type DisplayJob } from '../../electron/engine/ops/displayDecode';
import { PreviewCache } from '../../electron/engine/ops/previewCache';
import { MemoryBudget } from '../../electron/engine/runtime/memoryBudget';

/** A stand-in decoder: each code [4, 32, 32] becomes a 3 × 256 × 256 picture made from it (2 pictures a run, as at 256 px). */
function pictures(decoded: number[]) {
  const decode = async (codes: Float32Tensor): Promise<Float32Tensor> => {
    const n = codes.shape[0]!;
    decoded.push(n);
    const out = new Float32Array(n * 3 * 256 * 256);
    for (let i = 0; i < n; i++) for (let p = 0; p < 3 * 256 * 256; p++) out[i * 196608 + p] = 0.5 + 0.3 * codes.data[i * 4096 + (p % 4096)]!;
    return float32Tensor([n, 3, 256, 256], out);
  };
  return (codes: Float32Tensor, job: DisplayJob) => decodeForDisplay(codes, 3 * 256 * 256, decode, 128, job);
}

describe('PreviewCache', () => {
  const codes = float32Tensor([16, 4, 32, 32], randomNormal(16 * 4096, 7));

  it('answers codes asked again from what it kept, and a grid stopped part way decodes only the rest', async () => {
    const budget = new MemoryBudget(1 << 30);
    const cache = new PreviewCache(budget);
    const keys = cache.keys('model-a', codes);
    const reference = await pictures([])(codes, {});

    // Stopped after its second run: four pictures kept.
    const controller = new AbortController();
    let runs = 0;
    await expect(
      cache.picturesOf(keys, codes, pictures([]), {
        signal: controller.signal,
        progress: () => {
          if (++runs === 2) controller.abort();
        },
      }),
    ).rejects.toThrow(/cancelled after 4 of 16/);

    // Asked again: the four come first in one report, then only the other twelve are decoded.
    const decoded: number[] = [];
    const reports: [number, number][] = [];
    const again = await cache.picturesOf(keys, codes, pictures(decoded), { progress: (done, _total, images) => reports.push([done, images.shape[0]!]) });
    expect(decoded.reduce((a, b) => a + b)).toBe(12);
    expect(reports[0]).toEqual([4, 4]);
    expect(reports.at(-1)).toEqual([16, 2]);
    expect(Buffer.compare(again.data, reference.data)).toBe(0);

    // A third time nothing is decoded.
    const none: number[] = [];
    expect(Buffer.compare((await cache.picturesOf(keys, codes, pictures(none))).data, reference.data)).toBe(0);
    expect(none).toEqual([]);
    // Another model's key for the same codes is another picture.
    expect(cache.keys('model-b', codes)[0]).not.toBe(keys[0]);
    expect(budget.report().kinds.find((k) => k.kind === 'previews')).toMatchObject({ bytes: 16 * 3 * 128 * 128, entries: 1 });
  });

  it('keeps at most its cap, the least recently used going first, and frees everything when the budget needs the room', async () => {
    const budget = new MemoryBudget(1 << 30);
    const cache = new PreviewCache(budget, 8 * 3 * 128 * 128);
    const keys = cache.keys('m', codes);
    await cache.picturesOf(keys, codes, pictures([]));
    // The last eight are kept: the first is not, so nothing is taken from the front.
    const decoded: number[] = [];
    await cache.picturesOf(keys, codes, pictures(decoded));
    expect(decoded.reduce((a, b) => a + b)).toBe(16);
    expect(budget.report().kinds.find((k) => k.kind === 'previews')!.bytes).toBe(8 * 3 * 128 * 128);
    budget.releaseIdle();
    const after: number[] = [];
    await cache.picturesOf(keys.slice(8), float32Tensor([8, 4, 32, 32], codes.data.subarray(8 * 4096)), pictures(after));
    expect(after.reduce((a, b) => a + b)).toBe(8);
  });
});
