// @vitest-environment jsdom
import { expect, it } from 'vitest';
import type { StudioClient } from '../../electron/api/client';
import { float32Tensor } from '../../electron/api/tensor';
import { useJobsStore } from '../../renderer/src/state/jobsStore';
import { encodingKey, useLatentStore } from '../../renderer/src/state/latentStore';
import { encodeDataset, useEncodingJobs } from '../../renderer/src/views/explore/useEncoding';

/**
 * The encoding job's stages as the page shows them, with a client that answers as the engine does (progress, codes,
 * then the PCA) and holds the PCA's reply until released, as a busy engine does.
 */
it('Explore\'s encoding job says when the codes are in and their PCA is computed, not "n / n", until the projection comes', async () => {
  let release: () => void = () => {};
  const projected = new Promise<void>((resolve) => (release = resolve));
  const client = {
    transport: 'websocket',
    async invoke(name: string, _args: unknown, options?: { onProgress?: (p: unknown) => void }) {
      if (name === 'dataset.encode') {
        options?.onProgress?.({ done: 2, total: 3 });
        options?.onProgress?.({ done: 3, total: 3 });
        return { codes: float32Tensor([3, 2], Float32Array.from([1, 0, 0, 1, 1, 1])), labels: [0, 1, 0], ms: 1 };
      }
      await projected;
      return { dim: 2, rank: 2, mean: float32Tensor([2], new Float32Array(2)), components: float32Tensor([2, 2], Float32Array.from([1, 0, 0, 1])), variance: float32Tensor([2], Float32Array.from([1, 1])), explained: [0.5, 0.5], coords: float32Tensor([3, 2], new Float32Array(6)) };
    },
    subscribe: () => () => {},
  } as unknown as StudioClient;
  const key = encodingKey('my-folder', 'my-vae');
  const job = encodeDataset(client, 'my-folder', 'my-vae');
  for (let i = 0; i < 100 && !useEncodingJobs.getState()[key]?.projecting; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(useEncodingJobs.getState()[key]).toMatchObject({ projecting: true, progress: { done: 3, total: 3 } });
  expect(useJobsStore.getState().jobs.map((j) => j.label)).toEqual(['Computing the principal components']);
  expect(useLatentStore.getState().encodings[key]).toBeUndefined();
  release();
  await job;
  expect(useEncodingJobs.getState()[key]).toEqual({});
  expect(useJobsStore.getState().jobs).toEqual([]);
  expect(Array.from(useLatentStore.getState().encodings[key]!.codes)).toEqual([1, 0, 0, 1, 1, 1]);
});
