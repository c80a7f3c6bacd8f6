import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, FrameAssembler, PART_BYTES, splitFrame } from '../../electron/api/wire';
import { dispatchCall } from '../../electron/engine/dispatch';
import { float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import type { Engine } from '../../electron/engine/engine';
import { startBrowserServer, type BrowserServer } from '../../electron/server/server';
import { callOptions, ok, paths, realEngine } from '../helpers/engine';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

let engine: Engine;
let server: BrowserServer;
const rendererDir = mkdtempSync(join(tmpdir(), 'renderer-'));
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Latent Studio</title>');

beforeAll(async () => {
  engine = await realEngine();
  server = await startBrowserServer({ engine, rendererDir, port: 0 });
});
afterAll(async () => {
  await server.close();
  await engine.dispose();
});

const origin = () => `http://127.0.0.1:${server.port}`;

function open(token: string | null, headers: Record<string, string> = { Origin: origin() }): Promise<WebSocket> {
  const url = `ws://127.0.0.1:${server.port}/api${token === null ? '' : `?token=${token}`}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.binaryType = 'arraybuffer';
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(decodeFrame(data as ArrayBuffer) as Record<string, unknown>)));
}

describe('browser-mode server', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the page only with the token, with a strict CSP', async () => {
    expect((await fetch(`${origin()}/`)).status).toBe(401);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${origin()}/../../etc/passwd`)).status).toBe(404);
  });

  it('refuses a socket without the token, with a wrong token, or from another origin', async () => {
    await expect(open(null)).rejects.toThrow('refused: 401');
    await expect(open('wrong')).rejects.toThrow('refused: 401');
    await expect(open(server.token, { Origin: 'http://evil.example' })).rejects.toThrow('refused: 403');
    await expect(open(server.token, { Origin: origin(), Host: 'evil.example' })).rejects.toThrow('refused: 403');
  });

  it('answers app.info with the real providers over the socket', async () => {
    const socket = await open(server.token);
    const reply = nextMessage(socket);
    socket.send(encodeFrame({ type: 'call', id: 1, name: 'app.info', args: {} }));
    const message = (await reply) as { type: string; result: { providers: { name: string }[] } };
    expect(message.type).toBe('result');
    expect(message.result.providers.map((p) => p.name)).toContain('cpu');
    socket.close();
  });

  it('answers malformed frames and messages with schema errors naming the field, and keeps serving', async () => {
    const socket = await open(server.token);
    let reply = nextMessage(socket);
    socket.send('{"type":"call"}');
    expect(await reply).toMatchObject({ type: 'error', id: null, error: { code: 'bad-request', field: 'frame' } });

    reply = nextMessage(socket);
    socket.send(encodeFrame({ type: 'call', id: 5, name: 'model.decode', args: { model: 'fmnist-vae', z: { dtype: 'float32', shape: [1, 16], data: [0, 1] } } }));
    expect(await reply).toMatchObject({ type: 'error', id: 5, error: { code: 'bad-request', field: 'args.z.data' } });

    reply = nextMessage(socket);
    socket.send(encodeFrame({ type: 'call', id: 6, name: 'dataset.info', args: {} }));
    expect(await reply).toMatchObject({ type: 'result', id: 6 });
    socket.close();
  });

  it('sends a reply over PART_BYTES as parts, each a message of its own, that join into the result', async () => {
    const socket = await open(server.token);
    const sizes: number[] = [];
    const frames = new FrameAssembler();
    const reply = new Promise<{ type: string; result: { images: { shape: number[]; data: Float32Array } } }>((resolve) =>
      socket.on('message', (data) => {
        sizes.push((data as ArrayBuffer).byteLength);
        const message = frames.take(data as ArrayBuffer);
        if ((message as { id?: number } | undefined)?.id === 1) resolve(message as never);
      }),
    );
    // 500 Fashion-MNIST images: 1.57 MB of float32.
    socket.send(encodeFrame({ type: 'call', id: 1, name: 'model.decode', args: { model: 'fmnist-vae', z: float32Tensor([500, 16], randomNormal(500 * 16, 3)) } }));
    const { type, result } = await reply;
    expect(type).toBe('result');
    expect(result.images.shape).toEqual([500, 1, 28, 28]);
    expect(result.images.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Its two parts (events, a few hundred bytes each, may come between calls).
    expect(sizes.filter((size) => size > 100_000).length).toBe(2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(PART_BYTES + 256);
    socket.close();
  });

  it('takes a call over PART_BYTES sent as parts (as the page sends frames to export), and refuses a part announcing too large a frame', async () => {
    const socket = await open(server.token);
    const frames = new FrameAssembler();
    const replies: Record<string, unknown>[] = [];
    socket.on('message', (data) => {
      const message = frames.take(data as ArrayBuffer);
      if (message !== undefined) replies.push(message as Record<string, unknown>);
    });
    const replyTo = async (id: number | null) => {
      for (let i = 0; i < 500 && !replies.some((r) => r['id'] === id); i++) await new Promise((r) => setTimeout(r, 20));
      return replies.find((r) => r['id'] === id) as { type: string; result?: { mean: { shape: number[]; data: Float32Array } }; error?: { code: string; message: string } };
    };
    // 600 images of 28×28: 1.9 MB of float32, two parts.
    const images = float32Tensor([600, 1, 28, 28], Float32Array.from({ length: 600 * 784 }, (_, i) => (i % 784) / 784));
    const parts = splitFrame(encodeFrame({ type: 'call', id: 11, name: 'model.encode', args: { model: 'fmnist-vae', images } }), 1);
    expect(parts.length).toBe(2);
    for (const part of parts) socket.send(part);
    const encoded = await replyTo(11);
    expect(encoded.type).toBe('result');
    expect(encoded.result!.mean.shape).toEqual([600, 16]);
    // The same images one by one give the same codes: the parts joined into exactly the call sent.
    const one = ok<{ mean: { data: Float32Array } }>(await dispatchCall(engine.handlers, 'model.encode', { model: 'fmnist-vae', images: float32Tensor([1, 1, 28, 28], images.data.slice(599 * 784)) }, callOptions()));
    const last = encoded.result!.mean.data.subarray(599 * 16);
    expect(Math.max(...Array.from(one.mean.data, (v, i) => Math.abs(v - last[i]!)))).toBeLessThan(1e-5);

    // A first part that announces 1 GB is refused before anything is allocated, and the socket goes on.
    socket.send(encodeFrame({ type: 'part', seq: 2, index: 0, count: 1000, total: 2 ** 30, bytes: new Uint8Array(16) }));
    const refused = await replyTo(null);
    expect(refused).toMatchObject({ type: 'error', error: { code: 'bad-request' } });
    expect(refused.error!.message).toMatch(/1073741824 bytes; at most 268435456/);
    socket.send(encodeFrame({ type: 'call', id: 12, name: 'dataset.info', args: {} }));
    expect((await replyTo(12)).type).toBe('result');
    socket.close();
  });

  it('uses the app paths of this checkout', () => {
    expect(paths.models.endsWith('models')).toBe(true);
  });
});
