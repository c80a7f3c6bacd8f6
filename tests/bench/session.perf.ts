import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import WebSocket from 'ws';
import { float32Tensor } from '../../electron/api/tensor';
import { encodeFrame } from '../../electron/api/wire';
import { emitFrames } from '../helpers/socketFrames';
import { randomNormal } from '../../electron/common/random';
import { repoRoot } from '../helpers/engine';
import { launchServer } from '../../e2e/browserServer';
import { processMemory, stats, writePart } from './harness';

/**
 * The browser-mode server's memory over a scripted session at 256 px, as the OS sees it (VmHWM, the peak resident
 * set, and VmRSS after each phase, from /proc): sample grids, slider drags on a VAE and a StyleGAN-style generator,
 * an interpolation, a 1000-step DDPM at batch 4, an inversion. The models are the 256 px fixtures, copied so that
 * the gradient graph the inversion derives is cached outside the repository. Throughout, a second connection asks the
 * server for `app.info` every 25 ms (one call at a time), as a window's cheap calls (autosave, readouts, cancel) do:
 * how long those wait while models run says whether the server stays responsive.
 */
let server: ChildProcess;
let socket: WebSocket;
let pingSocket: WebSocket;
let nextId = 1;
const started = performance.now();

function call(name: string, args: unknown, on: WebSocket = socket): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (frame: unknown) => {
      const message = frame as { id: number; type: string; result?: unknown; error?: { message: string } };
      if (message.id !== id || message.type === 'progress') return;
      on.off('frame', onMessage);
      if (message.type === 'error') reject(new Error(`${name}: ${message.error!.message}`));
      else resolve(message.result);
    };
    on.on('frame', onMessage);
    on.send(encodeFrame({ type: 'call', id, name, args }));
  });
}

beforeAll(async () => {
  const launched = await launchServer(mkdtempSync(join(tmpdir(), 'bench-session-config-')));
  server = launched.process;
  const url = launched.url;
  const { port, searchParams } = new URL(url);
  const connect = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${searchParams.get('token')}`, { headers: { Origin: `http://127.0.0.1:${port}` } });
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve) => ws.once('open', resolve));
    return emitFrames(ws);
  };
  socket = await connect();
  pingSocket = await connect();
});
afterAll(() => {
  socket?.close();
  pingSocket?.close();
  server?.kill('SIGTERM');
});

it('server memory over a scripted session at 256 px', async () => {
  const pid = server.pid!;
  const phases: { phase: string; ms: number; rssMB: number; peakMB: number; cheapCall?: { calls: number; p50: number; p95: number; max: number } }[] = [];
  const phase = async (name: string, work: () => Promise<void>) => {
    const t = performance.now();
    const pings: number[] = [];
    let working = true;
    const pinger = (async () => {
      while (working) {
        const sent = performance.now();
        await call('app.info', {}, pingSocket);
        pings.push(performance.now() - sent);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    await work();
    working = false;
    await pinger;
    const { median, p95 } = stats(pings);
    phases.push({ phase: name, ms: Math.round(performance.now() - t), ...processMemory(pid), cheapCall: { calls: pings.length, p50: median, p95, max: Math.max(...pings) } });
  };
  const folder = mkdtempSync(join(tmpdir(), 'bench-session-models-'));
  for (const name of ['vae-256', 'ldm-256', 'stylegan-256']) cpSync(join(repoRoot, 'tests', 'fixtures', 'models', name), join(folder, name), { recursive: true, filter: (p) => !p.includes('.latent-studio') });
  phases.push({ phase: 'started', ms: 0, ...processMemory(pid) });
  await phase('models added (their graphs loaded and checked)', async () => {
    await call('library.addFolder', { path: folder });
  });
  const vaeLatent = 4 * 32 * 32;
  await phase('sample grids: 16 from the VAE, 16 from the generator', async () => {
    await call('model.decode', { model: 'vae-256', z: float32Tensor([16, 4, 32, 32], randomNormal(16 * vaeLatent, 1)) });
    await call('model.decode', { model: 'stylegan-256', z: float32Tensor([16, 128], randomNormal(16 * 128, 2)) });
  });
  await phase('slider drags: 161 decodes on a lane for each model', async () => {
    const base = randomNormal(vaeLatent, 3);
    const delta = randomNormal(vaeLatent, 4);
    const gBase = randomNormal(128, 5);
    const gDelta = randomNormal(128, 6);
    for (let i = 0; i <= 160; i++) {
      const s = -4 + i / 20;
      await call('model.decode', { model: 'vae-256', z: float32Tensor([1, 4, 32, 32], base.map((v, j) => v + s * delta[j]!)), lane: 'edit' });
      await call('model.decode', { model: 'stylegan-256', z: float32Tensor([1, 128], gBase.map((v, j) => v + s * gDelta[j]!)), lane: 'edit' });
    }
  });
  await phase('interpolation: 32 frames between two VAE codes', async () => {
    await call('latent.interpolate', { model: 'vae-256', keyframes: float32Tensor([2, 4, 32, 32], randomNormal(2 * vaeLatent, 7)), frames: 32, method: 'slerp' });
  });
  await phase('DDPM, 1000 steps at batch 4', async () => {
    await call('diffusion.sample', { model: 'ldm-256', sampler: { kind: 'ddpm' }, steps: 1000, seed: 8, batch: 4 });
  });
  await phase('inversion: 100 steps in w', async () => {
    const { images } = (await call('model.decode', { model: 'stylegan-256', z: float32Tensor([1, 128], randomNormal(128, 9)) })) as { images: { shape: number[]; data: Float32Array } };
    await call('gan.invert', { model: 'stylegan-256', image: float32Tensor(images.shape, images.data), settings: { steps: 100, space: 'w', plateau: 0 } });
  });
  const report = (await call('app.memory', {})) as { usedBytes: number; budgetBytes: number };
  const peakMB = Math.max(...phases.map((p) => p.peakMB));
  writePart('session', { phases, peakMB, cachedMB: report.usedBytes / 2 ** 20, budgetMB: report.budgetBytes / 2 ** 20, totalMs: Math.round(performance.now() - started) });
  const cheap = (p: (typeof phases)[number]) => (p.cheapCall ? `, app.info p50 ${p.cheapCall.p50.toFixed(1)} p95 ${p.cheapCall.p95.toFixed(1)} max ${p.cheapCall.max.toFixed(1)} ms` : '');
  console.info(phases.map((p) => `${p.phase}: ${p.ms} ms, RSS ${p.rssMB.toFixed(0)} MB, peak ${p.peakMB.toFixed(0)} MB${cheap(p)}`).join('\n'));
});
