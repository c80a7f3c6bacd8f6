import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ ipcMain: { handle: vi.fn(), on: vi.fn() } }));
const { isTrustedSender } = await import('../../electron/main/ipc');

const eventFrom = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } }) as never;

describe('IPC sender checks', () => {
  it('accepts only the app’s own top frame', () => {
    expect(isTrustedSender(eventFrom('app://studio/index.html'))).toBe(true);
    expect(isTrustedSender(eventFrom('https://evil.example/'))).toBe(false);
    expect(isTrustedSender(eventFrom('file:///etc/index.html'))).toBe(false);
    expect(isTrustedSender(eventFrom('app://studio/index.html', {}))).toBe(false);
    expect(isTrustedSender({ senderFrame: null } as never)).toBe(false);
  });
});
