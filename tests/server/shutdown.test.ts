import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { float32Tensor } from '../../electron/api/tensor';
import { encodeFrame, FrameAssembler } from '../../electron/api/wire';
import { randomNormal } from '../../electron/common/random';
import { launchServer } from '../../e2e/browserServer';
import { repoRoot } from '../helpers/engine';

/**
 * Ctrl-C (SIGTERM) while a model runs: ONNX Runtime cannot abandon a run, and exiting during one aborted the process
 * ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT). The built server waits for it.
 */
it('the browser-mode server stopped in the middle of a run exits cleanly once the run ends', async () => {
  const { url, process: server, output } = await launchServer(mkdtempSync(join(tmpdir(), 'shutdown-config-')));
  const { port, searchParams } = new URL(url);
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api?token=${searchParams.get('token')}`, { headers: { Origin: `http://127.0.0.1:${port}` } });
  socket.binaryType = 'arraybuffer';
  await new Promise((resolve) => socket.once('open', resolve));
  let replied = false;
  const frames = new FrameAssembler();
  const replies: Record<number, { type: string }> = {};
  socket.on('message', (data: ArrayBuffer) => {
    const message = frames.take(data) as { id?: number; type: string } | undefined;
    if (message?.id !== undefined && message.type !== 'progress') replies[message.id] = message;
    if (message?.id === 2) replied = true;
  });
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  socket.send(encodeFrame({ type: 'call', id: 1, name: 'library.addFolder', args: { path: join(repoRoot, 'tests', 'fixtures', 'models') } }));
  await until(() => !!replies[1]);
  expect(replies[1]!.type).toBe('result');
  // 48 decodes of the 256 px VAE fixture: about 2 s of runs here, so the signal 300 ms in comes during one.
  socket.send(encodeFrame({ type: 'call', id: 2, name: 'model.decode', args: { model: 'vae-256', z: float32Tensor([48, 4, 32, 32], randomNormal(48 * 4096, 1)) } }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(replied).toBe(false);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(output()).not.toContain('terminate called');
}, 60_000);
