import { describe, expect, it } from 'vitest';
import { ipcClient } from '../../renderer/src/client/ipcClient';
import * as checks from '../../renderer/src/client/checks';

describe('the desktop client', () => {
  it('hands the preload a call whose typed arrays own their buffers', async () => {
    const sent: unknown[] = [];
    const bridge = {
      calls: new Proxy({}, { get: () => (id: number, args: unknown) => (sent.push(args), Promise.resolve({ type: 'error', id, error: { code: 'internal', message: 'not here' } })) }),
      cancel: () => {},
      onProgress: () => () => {},
      onEvent: () => () => {},
    };
    const codes = new Float32Array(1000 * 16);
    const client = ipcClient(bridge as never, checks);
    await client.invoke('model.preview', { model: 'vae', codes: { shape: [1, 16], data: codes.subarray(32, 48) } } as never).catch(() => {});
    const args = sent[0] as { codes: { data: Float32Array } };
    expect(args.codes.data.length).toBe(16);
    expect(args.codes.data.buffer.byteLength).toBe(64);
  });
});
