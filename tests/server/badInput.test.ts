import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/api/wire';
import type { Engine } from '../../electron/engine/engine';
import { startBrowserServer, type BrowserServer } from '../../electron/server/server';
import { emptyProject } from '../../electron/api/project';
import { realEngine } from '../helpers/engine';
import { malformedMessages } from '../helpers/malformed';

const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => handlers.set(channel, handler),
    on: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => handlers.set(channel, handler),
  },
}));
const { wireIpc } = await import('../../electron/main/ipc');

let engine: Engine;
let server: BrowserServer;
beforeAll(async () => {
  engine = await realEngine();
  server = await startBrowserServer({ engine, rendererDir: mkdtempSync(join(tmpdir(), 'renderer-')), port: 0 });
});
afterAll(async () => {
  await server.close();
  await engine.dispose();
});

const COUNT = 10_000;

describe('10,000 malformed messages', () => {
  it('over the WebSocket: every one answered with an error, the server keeps serving, memory stays bounded', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { headers: { Origin: `http://127.0.0.1:${server.port}` } });
    socket.binaryType = 'arraybuffer';
    await new Promise((resolve) => socket.once('open', resolve));
    const replies: { type: string; error?: { code: string } }[] = [];
    socket.on('message', (data) => replies.push(decodeFrame(data as ArrayBuffer) as (typeof replies)[number]));
    const next = malformedMessages(42);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < COUNT; i++) {
      const message = next();
      // Some as raw garbage bytes or text, most as well-framed but invalid messages.
      if (i % 10 === 0) socket.send(new Uint8Array(Array.from({ length: (i % 37) + 1 }, (_, k) => (k * 73 + i) % 256)));
      else if (i % 10 === 1) socket.send(JSON.stringify(message ?? null));
      else socket.send(encodeFrame(message));
      if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await expect.poll(() => replies.length, { timeout: 60_000, interval: 100 }).toBe(COUNT);
    // The generator's only valid calls are app.info without arguments; everything else is an error with a known code.
    const errors = replies.filter((r) => r.type === 'error');
    expect(replies.filter((r) => r.type !== 'error').every((r) => r.type === 'result')).toBe(true);
    expect(errors.length).toBeGreaterThan(COUNT * 0.9);
    expect(errors.every((r) => ['bad-request', 'unknown-call', 'not-found', 'bad-input'].includes(r.error!.code))).toBe(true);
    const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    expect(heapGrowth).toBeLessThan(150);
    // Still serving real calls.
    const reply = new Promise<{ type: string; result?: { providers: unknown[] } }>((resolve) => socket.once('message', (d) => resolve(decodeFrame(d as ArrayBuffer) as never)));
    socket.send(encodeFrame({ type: 'call', id: 1, name: 'app.info', args: {} }));
    expect((await reply).type).toBe('result');
    socket.close();
    console.log(`${COUNT} malformed WebSocket messages: ${errors.length} error replies, heap growth ${heapGrowth.toFixed(1)} MB`);
  }, 120_000);

  it('to the IPC handlers (Electron mocked): every one answered with an error, and untrusted frames are refused', async () => {
    wireIpc(engine);
    const call = handlers.get('studio:call')!;
    const contents = Object.assign(new EventEmitter(), { id: 1, isDestroyed: () => false, send: vi.fn() });
    const trusted = { sender: contents, senderFrame: { url: 'app://studio/index.html', parent: null } };
    const next = malformedMessages(7);
    let errors = 0;
    for (let i = 0; i < COUNT; i++) {
      const raw = next() as Record<string, unknown> | null;
      // IPC carries { id, name, args } directly; give most a valid id and name so the args are what is wrong.
      const message = i % 3 === 0 ? raw : { id: i, name: (raw as { name?: string } | null)?.name ?? 'app.info', args: (raw as { args?: unknown } | null)?.args ?? raw };
      const reply = (await call(trusted, message)) as { type: string };
      if (reply.type === 'error') errors++;
      else expect((message as { name?: string }).name).toBe('app.info');
    }
    expect(errors).toBeGreaterThan(COUNT * 0.9);
    const refused = (await call({ sender: contents, senderFrame: { url: 'https://evil.example/', parent: null } }, { id: 1, name: 'app.info', args: {} })) as { error: { code: string } };
    expect(refused.error.code).toBe('unauthorized');
    console.log(`${COUNT} malformed IPC messages: ${errors} errors, the rest valid app.info calls`);
  }, 120_000);

  it("over IPC a page's connection ends with the page: after a reload its autosave is offered to the new page, after an in-page navigation it is not", async () => {
    wireIpc(engine);
    const call = handlers.get('studio:call')!;
    const contents = Object.assign(new EventEmitter(), { id: 2, isDestroyed: () => false, send: vi.fn() });
    const event = { sender: contents, senderFrame: { url: 'app://studio/index.html', parent: null } };
    const recovery = async (session: string) => ((await call(event, { id: 9, name: 'project.recovery', args: { session } })) as { result: { sessions: { session: string }[] } }).result.sessions.map((s) => s.session);
    expect(await call(event, { id: 1, name: 'project.autosave', args: { session: 'page-one', project: emptyProject('Before reload') } })).toMatchObject({ type: 'result' });
    contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    expect(await recovery('page-two')).not.toContain('page-one');
    contents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    expect(await recovery('page-two')).not.toContain('page-one');
    // A reload: the page that autosaved is gone, so the page after it is offered its work.
    contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    expect(await recovery('page-three')).toContain('page-one');
    // The listeners went with the old connection; the window's close ends the new one.
    expect(contents.listenerCount('did-start-navigation')).toBe(1);
    contents.emit('destroyed');
    expect(contents.listenerCount('did-start-navigation')).toBe(0);
  });
});
