import type { CallName } from '../../../electron/api/contract';
import type { StudioClient } from '../../../electron/api/client';
import { ApiError } from '../../../electron/api/errors';
import { encodeFrame, FrameAssembler, frameParts } from '../../../electron/api/wire';
import { nextTask } from '../lib/nextTask';
import { PendingCalls, type Contract } from './pending';

/** Browser mode: the contract over a WebSocket to the local server, authorised by the launch token. */
export async function connectWebSocket(url: string, contract: Contract | Promise<Contract>): Promise<StudioClient> {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new ApiError('unauthorized', 'could not connect to the Latent Studio server: is it running, and is the token in the address current?')), { once: true });
  });
  const calls = new PendingCalls(await contract);
  // Messages go out in order; one over PART_BYTES (frames sent to an export) as parts, a task each, so sending it
  // never holds the page (WebSocket.send of 12.8 MB took 63 ms of one task here).
  let sendSeq = 0;
  let sending = Promise.resolve();
  const send = (message: unknown) => {
    const parts = frameParts(encodeFrame(message), sendSeq++);
    sending = sending.then(async () => {
      let first = true;
      for (const part of parts) {
        if (!first) await nextTask();
        first = false;
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(part);
      }
    }).catch((error: unknown) => console.error('Latent Studio: a message could not be sent to the server', error));
  };
  const frames = new FrameAssembler();
  socket.addEventListener('message', (event) => {
    try {
      const message = frames.take(event.data as ArrayBuffer);
      if (message !== undefined) calls.receive(message);
    } catch (error) {
      console.error('Latent Studio: undecodable frame from the server', error);
    }
  });
  socket.addEventListener('close', () => calls.failAll(new ApiError('internal', 'the connection to the Latent Studio server closed; restart it and reload this page')));

  return {
    transport: 'websocket',
    invoke(name, args, options) {
      const { id, done } = calls.start(name as CallName, options?.onProgress as ((p: unknown) => void) | undefined);
      if (options?.signal?.aborted) calls.fail(id, new ApiError('cancelled', `${name} was cancelled`));
      else {
        options?.signal?.addEventListener('abort', () => {
          send({ type: 'cancel', id });
          calls.fail(id, new ApiError('cancelled', `${name} was cancelled`));
        }, { once: true });
        options?.stop?.addEventListener('abort', () => send({ type: 'cancel', id }), { once: true });
        send({ type: 'call', id, name, args });
      }
      return done as never;
    },
    subscribe: (name, handler) => calls.subscribe(name, handler as (payload: unknown) => void),
  };
}
