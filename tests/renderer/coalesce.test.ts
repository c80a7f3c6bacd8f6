import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../../renderer/src/lib/coalesce';

describe('coalesce', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('hands on the first report at once, then at most one batch every interval, every report in order', () => {
    const batches: number[][] = [];
    const reports = coalesce<number>(100, (batch) => batches.push(batch));
    reports.push(0);
    expect(batches).toEqual([[0]]);
    // 300 reports at 2 ms apart (a small generator's inversion): 600 ms of them.
    for (let i = 1; i < 300; i++) {
      vi.advanceTimersByTime(2);
      reports.push(i);
    }
    vi.advanceTimersByTime(100);
    expect(batches.flat()).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(batches.length).toBeLessThanOrEqual(8);
    expect(batches.length).toBeGreaterThanOrEqual(6);
  });

  it('flush hands on what is waiting at once, and nothing twice', () => {
    const batches: string[][] = [];
    const reports = coalesce<string>(100, (batch) => batches.push(batch));
    reports.push('a');
    reports.push('b');
    reports.push('c');
    expect(batches).toEqual([['a']]);
    reports.flush();
    expect(batches).toEqual([['a'], ['b', 'c']]);
    vi.advanceTimersByTime(500);
    reports.flush();
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });
});
