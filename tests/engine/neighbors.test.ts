import { describe, expect, it } from 'vitest';
import { randomNormal } from '../../electron/common/random';
import { nearestNeighbors } from '../../electron/engine/ops/neighbors';
import { timerGaps } from '../helpers/timerGaps';

describe('nearest neighbours in the full latent space', () => {
  it('the k nearest by a full sort, skipping the excluded, over 60,000 codes of 1,024 values, without holding the engine’s thread for the whole pass', async () => {
    const [count, dim, k] = [60_000, 1024, 10];
    const codes = randomNormal(count * dim, 21);
    const query = Float32Array.from(codes.subarray(5 * dim, 6 * dim), (v, j) => v + 0.01 * Math.sin(j));
    // Timers that should fire every 5 ms: a pass in one go (about 130 ms here) kept them all waiting.
    const ticks = timerGaps(5);
    const started = performance.now();
    const found = await nearestNeighbors(codes, dim, query, k, new Set([5]));
    const took = performance.now() - started;
    const gaps = ticks.stop();
    const distance = (n: number) => Math.sqrt(codes.subarray(n * dim, (n + 1) * dim).reduce((s, v, j) => s + (v - query[j]!) ** 2, 0));
    const expected = Array.from({ length: count }, (_, n) => n).filter((n) => n !== 5).map((n) => ({ n, d: distance(n) })).sort((a, b) => a.d - b.d).slice(0, k);
    expect(found.indices).toEqual(expected.map((e) => e.n));
    found.distances.forEach((d, i) => expect(d).toBeCloseTo(expected[i]!.d, 3));
    // The pass is cut in blocks of 2M values: the thread is let go many times, never held for the pass's whole time.
    expect(gaps.length).toBeGreaterThan(5);
    expect(Math.max(...gaps)).toBeLessThan(Math.max(took * 0.75, 50));
  }, 60_000);
});
