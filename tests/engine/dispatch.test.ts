import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { Connection } from '../../electron/engine/connection';
import type { ServerMessage } from '../../electron/api/messages';
import { float32Tensor } from '../../electron/api/tensor';
import { callOptions, realEngine } from '../helpers/engine';

let engine: Engine;
beforeAll(async () => {
  engine = await realEngine();
});
afterAll(() => engine.dispose());

const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());

describe('call dispatch on the real engine', () => {
  it('app.info reports the real runtime, its providers and the bundled models', async () => {
    const outcome = await call('app.info', {});
    expect(outcome.ok).toBe(true);
    const info = (outcome as { result: { providers: { name: string; available: boolean }[]; models: { id: string }[]; runtime: { version: string }; preferredProvider: string } }).result;
    expect(info.providers.map((p) => p.name)).toEqual(['cuda', 'dml', 'cpu']);
    expect(info.providers.find((p) => p.name === 'cpu')!.available).toBe(true);
    expect(info.runtime.version).toBe('1.30.0');
    expect(info.models.map((m) => m.id)).toContain('fmnist-classifier');
    expect(['cpu', 'cuda']).toContain(info.preferredProvider);
  });

  it('refuses an unknown call by name', async () => {
    const outcome = await call('fs.readFile', { path: '/etc/passwd' });
    expect(outcome).toEqual({ ok: false, error: { code: 'unknown-call', message: 'no call named "fs.readFile" in the contract', field: 'name' } });
  });

  it('names the argument at fault', async () => {
    const outcome = await call('dataset.images', { indices: [1, 'two'] });
    expect(outcome.ok).toBe(false);
    expect((outcome as { error: { code: string; field: string } }).error).toMatchObject({ code: 'bad-request', field: 'args.indices.1' });
  });

  it('decodes real latent codes through the VAE to images in [0, 1]', async () => {
    const z = float32Tensor([3, 16], new Float32Array(48).map((_, i) => Math.sin(i)));
    const outcome = await call('model.decode', { model: 'fmnist-vae', z });
    expect(outcome.ok).toBe(true);
    const { images } = (outcome as { result: { images: { shape: number[]; data: Float32Array } } }).result;
    expect(images.shape).toEqual([3, 1, 28, 28]);
    expect(Math.min(...images.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...images.data)).toBeLessThanOrEqual(1);
    expect(Math.max(...images.data) - Math.min(...images.data)).toBeGreaterThan(0.3);
  });

  it('explains a wrongly shaped latent code in words', async () => {
    const outcome = await call('model.decode', { model: 'fmnist-vae', z: float32Tensor([1, 8]) });
    expect((outcome as { error: unknown }).error).toEqual({
      code: 'bad-input',
      message: 'model "fmnist-vae" expects latent codes of shape [batch, 16]; got [1, 8]',
      field: 'args.z.shape',
    });
  });

  it('reads dataset images and refuses indices past the end', async () => {
    const ok = await call('dataset.images', { indices: [0, 9999] });
    const { images, labels } = (ok as { result: { images: { shape: number[] }; labels: number[] } }).result;
    expect(images.shape).toEqual([2, 1, 28, 28]);
    expect(labels).toHaveLength(2);
    const bad = await call('dataset.images', { indices: [10000] });
    expect((bad as { error: { field: string } }).error.field).toBe('args.indices.0');
  });

  it('dataset.encode streams progress and stops when cancelled', async () => {
    const controller = new AbortController();
    const progress: { done: number }[] = [];
    const outcome = await dispatchCall(engine.handlers, 'dataset.encode', { model: 'fmnist-vae', batchSize: 500 }, {
      signal: controller.signal,
      client: 1,
      onProgress: (p) => {
        progress.push(p as { done: number });
        if (progress.length === 2) controller.abort();
      },
    });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(progress.map((p) => p.done)).toEqual([500, 1000]);
  });
});

describe('a connection', () => {
  it('answers a malformed envelope with a schema error and keeps serving', async () => {
    const sent: ServerMessage[] = [];
    const connection = new Connection(engine, (m) => sent.push(m));
    connection.receive({ type: 'call', id: 'one', name: 'app.info' });
    connection.receive({ type: 'call', id: 2, name: 'dataset.info', args: {} });
    await expect.poll(() => sent.length).toBe(2);
    expect(sent[0]).toMatchObject({ type: 'error', id: null, error: { code: 'bad-request', field: 'message.id' } });
    expect(sent[1]).toMatchObject({ type: 'result', id: 2, result: { count: 10000 } });
    connection.close();
  });
});
