import { describe, expect, it } from 'vitest';
import { unitBytes, unitFloats, unitTensor } from '../../electron/api/tensor';

describe('8-bit images as floats in [0, 1]', () => {
  it('every byte k becomes the float32 nearest k / 255, as the models have always been given', () => {
    const bytes = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const floats = unitFloats(bytes);
    expect(floats).toBeInstanceOf(Float32Array);
    for (let i = 0; i < bytes.length; i++) expect(floats[i]).toBe(Math.fround(bytes[i]! / 255));
    expect(floats[255]).toBe(1);
    expect(floats[0]).toBe(0);
  });

  it('keeps the tensor’s shape', () => {
    const tensor = unitTensor({ dtype: 'uint8', shape: [2, 3, 4, 4], data: new Uint8Array(96).fill(51) });
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([2, 3, 4, 4]);
    expect(tensor.data.every((v) => v === Math.fround(0.2))).toBe(true);
  });

  it('and back: every fitted value k / 255 rounds to its byte again', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, k) => k);
    expect(Array.from(unitBytes(unitFloats(bytes)))).toEqual(Array.from(bytes));
  });
});
