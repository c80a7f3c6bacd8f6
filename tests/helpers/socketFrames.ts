import type WebSocket from 'ws';
import { FrameAssembler } from '../../electron/api/wire';

/**
 * Re-emits a browser-mode socket's messages as 'frame' events with the decoded message and the bytes it took, the
 * parts of a large one joined first (splitFrame), as the page's client does.
 */
export function emitFrames(ws: WebSocket): WebSocket {
  const frames = new FrameAssembler();
  let bytes = 0;
  ws.on('message', (data: ArrayBuffer) => {
    bytes += data.byteLength;
    const message = frames.take(data);
    if (message === undefined) return;
    ws.emit('frame', message, bytes);
    bytes = 0;
  });
  return ws;
}
