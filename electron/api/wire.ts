/**
 * Binary framing for the WebSocket transport, so tensors travel as raw bytes
 * (IPC needs none of this: structured clone carries typed arrays natively).
 *
 * frame = u32 LE header length | header (UTF-8 JSON) | padding to 8 | blobs
 * Each typed array in the message is replaced in the header by
 * {"$bin": ["f32" | "u8", byteOffset, elementCount]}; every blob starts on an
 * 8-byte boundary so the receiver can view it without copying.
 */
type BlobKind = 'f32' | 'u8';
const BYTES: Record<BlobKind, number> = { f32: 4, u8: 1 };

export class WireError extends Error {}

const align8 = (n: number) => (n + 7) & ~7;

export function encodeFrame(message: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const header = JSON.stringify(message, function (this: Record<string, unknown>, key: string, replaced: unknown) {
    // The holder's own value, before toJSON: a Node Buffer would otherwise arrive as {type: 'Buffer', data: [...]}.
    const value = this[key];
    if (value instanceof Float32Array || value instanceof Uint8Array) {
      const kind: BlobKind = value instanceof Float32Array ? 'f32' : 'u8';
      const marker = { $bin: [kind, blobBytes, value.length] };
      blobs.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      blobBytes = align8(blobBytes + value.byteLength);
      return marker;
    }
    return replaced;
  });
  const headerBytes = new TextEncoder().encode(header);
  const blobStart = align8(4 + headerBytes.length);
  const frame = new Uint8Array(blobStart + blobBytes);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, true);
  frame.set(headerBytes, 4);
  let offset = blobStart;
  for (const blob of blobs) {
    frame.set(blob, offset);
    offset = blobStart + align8(offset - blobStart + blob.byteLength);
  }
  return frame;
}

export function decodeFrame(frame: ArrayBuffer | Uint8Array): unknown {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < 4) throw new WireError('frame is shorter than its 4-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > bytes.byteLength) throw new WireError('frame header length exceeds the frame');
  let header: string;
  try {
    header = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + headerLength));
  } catch {
    throw new WireError('frame header is not valid UTF-8');
  }
  const blobStart = align8(4 + headerLength);
  // Views need aligned offsets into their own buffer; copy once if the socket's buffer is unaligned.
  const aligned = (bytes.byteOffset + blobStart) % 8 === 0 ? bytes : bytes.slice();
  const reviver = (_key: string, value: unknown) => (isBlobMarker(value) ? blobView(aligned, blobStart, value.$bin) : value);
  try {
    return JSON.parse(header, reviver);
  } catch (error) {
    if (error instanceof WireError) throw error;
    throw new WireError(`frame header is not valid JSON: ${(error as Error).message}`);
  }
}

function isBlobMarker(value: unknown): value is { $bin: unknown[] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, '$bin');
}

function blobView(bytes: Uint8Array, blobStart: number, marker: unknown[]): Float32Array | Uint8Array {
  const [kind, offset, count] = marker;
  if ((kind !== 'f32' && kind !== 'u8') || !Number.isSafeInteger(offset) || !Number.isSafeInteger(count)) {
    throw new WireError('a binary marker must be ["f32" | "u8", offset, count]');
  }
  const start = blobStart + (offset as number);
  const byteLength = (count as number) * BYTES[kind];
  if ((offset as number) < 0 || (count as number) < 0 || (offset as number) % 8 !== 0 || start + byteLength > bytes.byteLength) {
    throw new WireError('a binary marker points outside the frame');
  }
  const at = bytes.byteOffset + start;
  return kind === 'f32'
    ? new Float32Array(bytes.buffer, at, count as number)
    : new Uint8Array(bytes.buffer, at, count as number);
}

/**
 * The most bytes one WebSocket message carries. Chromium takes a received message in one task of the page's main
 * thread, about 15-25 ms a megabyte here (a 36 MB diffusion run's reply held the page for 0.86 s), so a larger frame
 * travels as parts of this size, each its own task, and the page paints between them.
 */
export const PART_BYTES = 1024 * 1024;

/** A frame as the messages that carry it: itself, or `{type: 'part', seq, index, count, bytes}` frames of PART_BYTES. */
export function splitFrame(frame: Uint8Array, seq: number, partBytes = PART_BYTES): Uint8Array[] {
  return [...frameParts(frame, seq, partBytes)];
}

/** splitFrame's parts one at a time, each encoded when it is taken (a sender that spreads them over tasks copies as it goes). */
export function* frameParts(frame: Uint8Array, seq: number, partBytes = PART_BYTES): Generator<Uint8Array> {
  if (frame.byteLength <= partBytes) {
    yield frame;
    return;
  }
  const count = Math.ceil(frame.byteLength / partBytes);
  for (let index = 0; index < count; index++) {
    yield encodeFrame({ type: 'part', seq, index, count, total: frame.byteLength, bytes: frame.subarray(index * partBytes, Math.min(frame.byteLength, (index + 1) * partBytes)) });
  }
}

interface Part {
  seq: number;
  index: number;
  count: number;
  total: number;
  bytes: Uint8Array;
}

function isPart(message: unknown): message is Part {
  const m = message as Partial<Part> | null;
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'part';
}

/**
 * The receiving side of splitFrame: `take` returns each message as decodeFrame would, once all of its parts have
 * come (undefined meanwhile). Parts arrive in order on one socket; a part out of order or of the wrong size is a
 * WireError and drops what was gathered.
 */
export class FrameAssembler {
  private gathering?: { seq: number; next: number; count: number; buffer: Uint8Array; filled: number };

  /** maxTotal: the largest frame it joins; a first part announcing more is refused before anything is allocated. */
  constructor(private readonly maxTotal = Infinity) {}

  take(data: ArrayBuffer | Uint8Array): unknown {
    const message = decodeFrame(data);
    if (!isPart(message)) return message;
    const { seq, index, count, total, bytes } = message;
    const valid = [seq, index, count, total].every((n) => Number.isSafeInteger(n) && n >= 0) && bytes instanceof Uint8Array && count >= 2;
    if (!valid) throw new WireError('a part must carry seq, index, count, total and its bytes');
    if (total > this.maxTotal) {
      this.gathering = undefined;
      throw new WireError(`frame ${seq} would be ${total} bytes; at most ${this.maxTotal} are taken`);
    }
    if (index === 0) this.gathering = { seq, next: 0, count, buffer: new Uint8Array(total), filled: 0 };
    const g = this.gathering;
    if (!g || g.seq !== seq || g.next !== index || g.count !== count || g.buffer.byteLength !== total || g.filled + bytes.byteLength > total) {
      this.gathering = undefined;
      throw new WireError(`part ${index} of frame ${seq} came out of order`);
    }
    g.buffer.set(bytes, g.filled);
    g.filled += bytes.byteLength;
    g.next++;
    if (g.next < g.count) return undefined;
    this.gathering = undefined;
    if (g.filled !== total) throw new WireError(`frame ${seq} came ${g.filled} bytes short of ${total}`);
    return decodeFrame(g.buffer);
  }
}
