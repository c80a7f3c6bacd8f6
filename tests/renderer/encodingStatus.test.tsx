// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StudioClient } from '../../electron/api/client';
import { ApiError } from '../../electron/api/errors';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { useAppStore } from '../../renderer/src/state/appStore';
import { useJobsStore } from '../../renderer/src/state/jobsStore';
import { EncodingStatus } from '../../renderer/src/views/explore/EncodingStatus';
import { realEngine } from '../helpers/engine';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let engine: Engine;
beforeAll(async () => {
  engine = await realEngine();
});
afterAll(() => engine.dispose());

/** The real engine behind the client interface; dataset.project's reply waits until `release` is called. */
function gatedClient(): { client: StudioClient; release: () => void } {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const client: StudioClient = {
    transport: 'websocket',
    async invoke(name, args, options) {
      const outcome = await dispatchCall(engine.handlers, name, args, { signal: options?.signal ?? new AbortController().signal, client: 1, onProgress: (p) => options?.onProgress?.(p as never) });
      if (name === 'dataset.project') await gate;
      if (!outcome.ok) throw ApiError.from(outcome.error);
      return outcome.result as never;
    },
    subscribe: () => () => {},
  };
  return { client, release: () => open() };
}

it('Explore says the codes are in and their PCA is being computed, not "10,000 / 10,000", until the projection comes', async () => {
  const { client, release } = gatedClient();
  useAppStore.setState({ client });
  const container = document.createElement('div');
  const root = createRoot(container);
  await act(async () => root.render(<EncodingStatus model="fmnist-vae" dataset="bundled" />));
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 600 && !done(); i++) await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(done()).toBe(true);
  };
  await until(() => container.textContent!.includes('computing their principal components'));
  expect(container.textContent).toBe('Encoded 10,000 images; computing their principal components…');
  expect(useJobsStore.getState().jobs.map((j) => j.label)).toEqual(['Computing the principal components']);
  release();
  await until(() => container.textContent === '');
  expect(useJobsStore.getState().jobs).toEqual([]);
  await act(async () => root.unmount());
}, 60_000);
