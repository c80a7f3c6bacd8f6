import type { CallName } from '../../../electron/api/contract';
import type { PreloadBridge, StudioClient } from '../../../electron/api/client';
import { ApiError } from '../../../electron/api/errors';
import { withOwnBuffers } from '../../../electron/api/ownBuffers';
import { PendingCalls, type Contract } from './pending';

/** Desktop app: the contract over the preload's named calls. */
export function ipcClient(bridge: PreloadBridge, contract: Contract): StudioClient {
  const calls = new PendingCalls(contract);
  bridge.onProgress((id, progress) => calls.receive({ type: 'progress', id, progress }));
  bridge.onEvent((name, payload) => calls.receive({ type: 'event', name, payload }));
  return {
    transport: 'ipc',
    invoke(name, args, options) {
      const { id, done } = calls.start(name as CallName, options?.onProgress as ((p: unknown) => void) | undefined);
      const call = bridge.calls[name as CallName];
      if (!call) calls.fail(id, new ApiError('unknown-call', `no call named "${name}"`));
      else if (options?.signal?.aborted) calls.fail(id, new ApiError('cancelled', `${name} was cancelled`));
      else {
        options?.signal?.addEventListener('abort', () => {
          bridge.cancel(id);
          calls.fail(id, new ApiError('cancelled', `${name} was cancelled`));
        }, { once: true });
        options?.stop?.addEventListener('abort', () => bridge.cancel(id), { once: true });
        // Structured clone would carry the whole buffer behind a view (the hovered code: a subarray of every point's code).
        call(id, withOwnBuffers(args)).then(
          (reply) => calls.receive(reply),
          (error: Error) => calls.fail(id, new ApiError('internal', error.message)),
        );
      }
      return done as never;
    },
    subscribe: (name, handler) => calls.subscribe(name, handler as (payload: unknown) => void),
  };
}
