import { describe, expect, it } from 'vitest';
import { defaultScale } from '../../renderer/src/components/ExportScale';

describe('the export scale before one is chosen', () => {
  it('is 4× up to 256 px, then as large as keeps the longer side within 1024 px', () => {
    expect(defaultScale([28, 28])).toBe(4);
    expect(defaultScale([64, 64])).toBe(4);
    expect(defaultScale([256, 256])).toBe(4);
    expect(defaultScale([512, 512])).toBe(2);
    expect(defaultScale([512, 384])).toBe(2);
    expect(defaultScale([1024, 1024])).toBe(1);
    // Larger than 1024 px: never shrunk, 1× is the least.
    expect(defaultScale([2048, 1536])).toBe(1);
  });

  it('is 4× while the size is not known yet', () => {
    expect(defaultScale(undefined)).toBe(4);
    expect(defaultScale([])).toBe(4);
  });
});
