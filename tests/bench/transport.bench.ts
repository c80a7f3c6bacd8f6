import { afterAll, beforeAll, bench, describe } from 'vitest';
import WebSocket from 'ws';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float32Tensor } from '../../electron/api/tensor';
import { decodeFrame, encodeFrame } from '../../electron/api/wire';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { startBrowserServer, type BrowserServer } from '../../electron/server/server';
import { realEngine } from '../helpers/engine';

/** A 28×28 decode in-process against the same call through the browser-mode WebSocket, side by side. */
let engine: Engine;
let server: BrowserServer;
let socket: WebSocket;
let nextId = 1;
const z = float32Tensor([1, 16], new Float32Array(16).fill(0.5));
const never = new AbortController().signal;

beforeAll(async () => {
  engine = await realEngine();
  server = await startBrowserServer({ engine, rendererDir: mkdtempSync(join(tmpdir(), 'bench-')), port: 0 });
  socket = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { headers: { Origin: `http://127.0.0.1:${server.port}` } });
  socket.binaryType = 'arraybuffer';
  await new Promise((resolve) => socket.once('open', resolve));
  await decodeInProcess();
});

async function decodeInProcess(): Promise<void> {
  const outcome = await dispatchCall(engine.handlers, 'model.decode', { model: 'fmnist-vae', z }, { signal: never, client: 0, onProgress: () => {} });
  if (!outcome.ok) throw new Error(`in-process decode failed: ${outcome.error.message}`);
}

afterAll(async () => {
  socket.close();
  await server.close();
  await engine.dispose();
});

function decodeOverSocket(): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (data: ArrayBuffer) => {
      const message = decodeFrame(data) as { id: number; type: string; error?: { message: string } };
      if (message.id !== id) return;
      socket.off('message', onMessage);
      if (message.type === 'error') reject(new Error(`decode over the socket failed: ${message.error?.message}`));
      else resolve(message);
    };
    socket.on('message', onMessage);
    socket.send(encodeFrame({ type: 'call', id, name: 'model.decode', args: { model: 'fmnist-vae', z } }));
  });
}

describe('model.decode 28×28, batch 1', () => {
  bench('in-process', decodeInProcess);
  bench('browser-mode WebSocket', async () => {
    await decodeOverSocket();
  });
});
