import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, FrameAssembler, PART_BYTES } from '../../electron/api/wire';
import { connectWebSocket } from '../../renderer/src/client/wsClient';
import * as checks from '../../renderer/src/client/checks';

/** A socket that opens at once and records what is sent. */
class RecordingSocket extends EventTarget {
  static readonly OPEN = 1;
  static last: RecordingSocket;
  readyState = 1;
  binaryType = 'blob';
  readonly sent: { bytes: Uint8Array }[] = [];
  constructor(readonly url: string) {
    super();
    RecordingSocket.last = this;
    setTimeout(() => this.dispatchEvent(new Event('open')));
  }
  send(data: Uint8Array) {
    this.sent.push({ bytes: data.slice() });
  }
}

const original = globalThis.WebSocket;
afterEach(() => {
  globalThis.WebSocket = original;
});

/** Lets every microtask queued so far (and those they queue) run, within the current task. */
const drainMicrotasks = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

describe('the browser-mode client sends', () => {
  it('a call over PART_BYTES as parts, one per task, in order, and a call after it only once they are out', async () => {
    globalThis.WebSocket = RecordingSocket as never;
    const client = await connectWebSocket('ws://127.0.0.1:1/api?token=t', checks);
    const socket = RecordingSocket.last;
    // 3.5 MB of frames, as Diffuse's GIF export sends them: four parts.
    const frames = { dtype: 'uint8', shape: [54, 3, 150, 150], data: new Uint8Array(54 * 3 * 150 * 150).map((_, i) => i % 251) };
    void client.invoke('image.exportGif', { frames, scale: 1, frameMs: [100] } as never).catch(() => {});
    void client.invoke('app.info', {} as never).catch(() => {});
    // The task that made the call sends its first part only; the rest, and the call after it, come in later tasks.
    await drainMicrotasks();
    expect(socket.sent.length).toBe(1);
    for (let i = 0; i < 100 && socket.sent.length < 5; i++) await new Promise((r) => setTimeout(r, 5));
    expect(socket.sent.length).toBe(5);
    const parts = socket.sent.slice(0, 4);
    for (const { bytes } of parts) expect(bytes.byteLength).toBeLessThanOrEqual(PART_BYTES + 256);
    const assembler = new FrameAssembler();
    const joined = parts.map((p) => assembler.take(p.bytes)).at(-1) as { name: string; args: { frames: { data: Uint8Array } } };
    expect(joined.name).toBe('image.exportGif');
    expect(joined.args.frames.data.length).toBe(frames.data.length);
    expect(joined.args.frames.data.every((v, i) => v === frames.data[i])).toBe(true);
    expect((decodeFrame(socket.sent[4]!.bytes) as { name: string }).name).toBe('app.info');
  });

  it('a small call in the task that made it', async () => {
    globalThis.WebSocket = RecordingSocket as never;
    const client = await connectWebSocket('ws://127.0.0.1:1/api?token=t', checks);
    const socket = RecordingSocket.last;
    void client.invoke('app.info', {} as never).catch(() => {});
    await drainMicrotasks();
    expect(socket.sent.length).toBe(1);
  });
});
