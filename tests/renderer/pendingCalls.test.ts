import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../electron/api/errors';
import { float32Tensor } from '../../electron/api/tensor';
import { PendingCalls } from '../../renderer/src/client/pending';
import * as contract from '../../renderer/src/client/checks';

describe('the renderer’s pending calls', () => {
  it('resolves a call with its contract-checked result and routes progress', async () => {
    const calls = new PendingCalls(contract);
    const progress = vi.fn();
    const { id, done } = calls.start('dataset.encode', progress);
    calls.receive({ type: 'progress', id, progress: { done: 1, total: 2 } });
    calls.receive({ type: 'result', id, result: { codes: float32Tensor([1, 16]), labels: [3], ms: 1 } });
    await expect(done).resolves.toMatchObject({ labels: [3] });
    expect(progress).toHaveBeenCalledWith({ done: 1, total: 2 });
  });

  it('rejects with the engine’s error as an ApiError naming the field', async () => {
    const calls = new PendingCalls(contract);
    const { id, done } = calls.start('model.decode');
    calls.receive({ type: 'error', id, error: { code: 'bad-input', message: 'expects [batch, 16]', field: 'args.z.shape' } });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'bad-input', field: 'args.z.shape' });
  });

  it('refuses a result that breaks the contract, and ignores malformed messages', async () => {
    const calls = new PendingCalls(contract);
    const { id, done } = calls.start('app.info');
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    calls.receive({ type: 'nonsense', id });
    calls.receive(null);
    calls.receive({ type: 'result', id, result: { name: 'Latent Studio' } });
    await expect(done).rejects.toMatchObject({ code: 'internal' });
    expect(quiet).toHaveBeenCalled();
    quiet.mockRestore();
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const calls = new PendingCalls(contract);
    const handler = vi.fn();
    const off = calls.subscribe('models.changed', handler);
    calls.receive({ type: 'event', name: 'models.changed', payload: { models: [] } });
    off();
    calls.receive({ type: 'event', name: 'models.changed', payload: { models: [] } });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
