import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, WireError } from '../../electron/api/wire';

describe('wire frames', () => {
  it('round-trips nested typed arrays as raw bytes, aligned for zero-copy views', () => {
    const f = new Float32Array([1.5, -2, 3.25]);
    const u = new Uint8Array([1, 2, 3, 4, 5]);
    const g = new Float32Array([7, 8]);
    const frame = encodeFrame({ type: 'result', id: 7, result: { a: { data: f, shape: [3] }, b: [u, g], s: 'text' } });
    const decoded = decodeFrame(frame.buffer) as { result: { a: { data: Float32Array }; b: [Uint8Array, Float32Array]; s: string } };
    expect(decoded.result.a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded.result.a.data)).toEqual([1.5, -2, 3.25]);
    expect(Array.from(decoded.result.b[0])).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(decoded.result.b[1])).toEqual([7, 8]);
    expect(decoded.result.a.data.byteOffset % 8).toBe(0);
    expect(decoded.result.s).toBe('text');
  });

  it('costs the raw bytes plus a small header, not a JSON number list', () => {
    const data = new Float32Array(28 * 28).map((_, i) => Math.sin(i));
    const frame = encodeFrame({ type: 'call', id: 1, name: 'model.decode', args: { z: { dtype: 'float32', shape: [1, 784], data } } });
    expect(frame.byteLength).toBeLessThan(data.byteLength + 200);
  });

  it('sends a Node Buffer as raw bytes, not as its JSON form', () => {
    const decoded = decodeFrame(encodeFrame({ png: Buffer.from([137, 80, 78, 71]) })) as { png: Uint8Array };
    expect(decoded.png).toBeInstanceOf(Uint8Array);
    expect(Array.from(decoded.png)).toEqual([137, 80, 78, 71]);
  });

  it('decodes from an unaligned slice of a larger buffer', () => {
    const frame = encodeFrame({ x: new Float32Array([1, 2, 3]) });
    const padded = new Uint8Array(frame.byteLength + 3);
    padded.set(frame, 3);
    const decoded = decodeFrame(padded.subarray(3)) as { x: Float32Array };
    expect(Array.from(decoded.x)).toEqual([1, 2, 3]);
  });

  it('rejects truncated, non-JSON and out-of-bounds frames with a WireError', () => {
    expect(() => decodeFrame(new Uint8Array([1, 0]))).toThrow(WireError);
    const header = new TextEncoder().encode('{not json');
    const bad = new Uint8Array(4 + header.length);
    new DataView(bad.buffer).setUint32(0, header.length, true);
    bad.set(header, 4);
    expect(() => decodeFrame(bad)).toThrow(/not valid JSON/);
    const outside = new TextEncoder().encode('{"x":{"$bin":["f32",0,1000]}}');
    const frame = new Uint8Array(8 + outside.length);
    new DataView(frame.buffer).setUint32(0, outside.length, true);
    frame.set(outside, 4);
    expect(() => decodeFrame(frame)).toThrow(/outside the frame/);
    const tooLong = new Uint8Array(8);
    new DataView(tooLong.buffer).setUint32(0, 1000, true);
    expect(() => decodeFrame(tooLong)).toThrow(/exceeds/);
  });
});
