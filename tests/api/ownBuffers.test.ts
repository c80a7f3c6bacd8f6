import { describe, expect, it } from 'vitest';
import { ownBytes, withOwnBuffers } from '../../electron/api/ownBuffers';

describe('messages for structured-clone transports (Electron IPC, worker threads)', () => {
  it('sends a view of a large buffer with its own bytes only', () => {
    // The explorer's hovered code is a subarray of every point's code; structured clone copies the whole buffer behind it.
    const codes = Float32Array.from({ length: 100_000 * 16 }, (_, i) => i % 97);
    const hovered = codes.subarray(4_200 * 16, 4_201 * 16);
    const message = { name: 'model.preview', args: { model: 'vae', codes: { shape: [1, 16], data: hovered }, lane: 'hover' } };
    expect(structuredClone(message).args.codes.data.buffer.byteLength).toBe(codes.byteLength);
    const owned = withOwnBuffers(message);
    const sent = structuredClone(owned).args.codes.data;
    expect(sent.buffer.byteLength).toBe(16 * 4);
    expect(Array.from(sent)).toEqual(Array.from(hovered));
    // The caller's message is not changed; only the paths to the copied view are new objects.
    expect(message.args.codes.data).toBe(hovered);
    expect(owned.args.lane).toBe('hover');
    expect(owned.args.codes.shape).toBe(message.args.codes.shape);
  });

  it('keeps a message that needs nothing as the same object, and leaves whole buffers, numbers and strings alone', () => {
    const whole = new Uint8Array([1, 2, 3]);
    const message = { type: 'result', id: 3, result: { images: { dtype: 'uint8', shape: [1, 1, 1, 3], data: whole }, labels: ['a', 'b'], skipped: null } };
    expect(withOwnBuffers(message)).toBe(message);
    expect(withOwnBuffers(null)).toBe(null);
    expect(withOwnBuffers('text')).toBe('text');
    expect(ownBytes(whole)).toBe(whole);
  });

  it('copies views inside arrays, and a pooled Node Buffer, as bytes of their own', () => {
    const big = new Float32Array(1000);
    big[11] = 5;
    const list = [big.subarray(10, 12), 7, { deep: [big.subarray(0, 1)] }] as const;
    const owned = withOwnBuffers(list);
    expect(owned).not.toBe(list);
    expect((owned[0] as Float32Array).buffer.byteLength).toBe(8);
    expect(Array.from(owned[0] as Float32Array)).toEqual([0, 5]);
    expect(owned[2].deep[0].buffer.byteLength).toBe(4);
    // Small Buffers share an 8 KB pool; Buffer's own slice() would return another view of it.
    const pooled = Buffer.from('a PNG, say');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    const copy = ownBytes(pooled);
    expect(copy.buffer.byteLength).toBe(pooled.byteLength);
    expect(Buffer.from(copy).toString()).toBe('a PNG, say');
  });
});
