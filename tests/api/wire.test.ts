import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameAssembler, frameParts, splitFrame, WireError } from '../../electron/api/wire';

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

  it('sends a large frame as parts of at most PART_BYTES each, joined back into the same message', () => {
    const data = new Float32Array(100_000).map((_, i) => Math.cos(i));
    const frame = encodeFrame({ type: 'result', id: 3, result: { images: { dtype: 'float32', shape: [100_000], data } } });
    const parts = splitFrame(frame, 9, 64 * 1024);
    expect(parts.length).toBe(Math.ceil(frame.byteLength / (64 * 1024)));
    for (const part of parts) expect(part.byteLength).toBeLessThan(64 * 1024 + 200);
    const assembler = new FrameAssembler();
    const taken = parts.map((p) => assembler.take(p.slice().buffer));
    expect(taken.slice(0, -1).every((m) => m === undefined)).toBe(true);
    const message = taken.at(-1) as { id: number; result: { images: { data: Float32Array } } };
    expect(message.id).toBe(3);
    expect(message.result.images.data).toEqual(data);
    // A small frame is itself, and passes through the assembler as decodeFrame gives it.
    const small = encodeFrame({ type: 'progress', id: 3, progress: { step: 1 } });
    expect(splitFrame(small, 10, 64 * 1024)).toEqual([small]);
    expect(assembler.take(small)).toEqual({ type: 'progress', id: 3, progress: { step: 1 } });
  });

  it('an assembler with a limit refuses a frame announced larger, and joins the next one within it', () => {
    const frame = encodeFrame({ x: new Uint8Array(10_000).fill(3) });
    const assembler = new FrameAssembler(8192);
    expect(() => assembler.take(splitFrame(frame, 1, 4096)[0]!)).toThrow(/would be \d+ bytes; at most 8192/);
    const small = encodeFrame({ x: new Uint8Array(6000).fill(4) });
    const joined = splitFrame(small, 2, 4096).map((p) => assembler.take(p));
    expect((joined.at(-1) as { x: Uint8Array }).x).toEqual(new Uint8Array(6000).fill(4));
    // frameParts gives splitFrame's parts, one at a time.
    expect([...frameParts(frame, 5, 4096)]).toEqual(splitFrame(frame, 5, 4096));
  });

  it('refuses parts out of order and starts afresh at the next frame', () => {
    const frame = encodeFrame({ x: new Uint8Array(10_000).fill(7) });
    const parts = splitFrame(frame, 1, 4096);
    const assembler = new FrameAssembler();
    assembler.take(parts[0]!);
    expect(() => assembler.take(parts[2]!)).toThrow(/out of order/);
    expect(() => assembler.take(parts[1]!)).toThrow(/out of order/);
    const again = splitFrame(frame, 2, 4096).map((p) => assembler.take(p));
    expect((again.at(-1) as { x: Uint8Array }).x).toEqual(new Uint8Array(10_000).fill(7));
  });
});
