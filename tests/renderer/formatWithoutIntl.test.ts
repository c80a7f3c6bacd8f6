import { describe, expect, it } from 'vitest';
import { formatCount } from '../../renderer/src/lib/formatCount';
import { formatClock, formatDateTime } from '../../renderer/src/lib/formatTime';

describe('numbers and times written without Intl', () => {
  it('a count reads as toLocaleString("en") writes it', () => {
    for (const n of [0, 7, 999, 1000, 1001, 65_536, 100_000, 999_999, 1_000_000, 12_345_678, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -1234, -1_000_000]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en'));
    }
    expect(formatCount(1234.6)).toBe('1,235');
    expect(formatCount(-0.2)).toBe('0');
  });

  it('times read as a clock and a file manager write them, in local time', () => {
    const at = new Date(2026, 11, 5, 9, 3, 7);
    expect(formatClock(at)).toBe('09:03:07');
    expect(formatDateTime(at)).toBe('2026-12-05 09:03');
  });
});
