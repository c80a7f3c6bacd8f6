import { beforeEach, describe, expect, it, vi } from 'vitest';

const created: { options: Record<string, unknown>; handlers: Record<string, (...a: unknown[]) => unknown>; openHandler?: (d: { url: string }) => unknown; loaded?: string }[] = [];
const openExternal = vi.fn();

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      const record: (typeof created)[number] = { options, handlers: {} };
      created.push(record);
      this.webContents = {
        on: (event: string, handler: (...a: unknown[]) => unknown) => {
          record.handlers[event] = handler;
        },
        setWindowOpenHandler: (handler: (d: { url: string }) => unknown) => {
          record.openHandler = handler;
        },
      };
      (this as unknown as { loadURL: (u: string) => Promise<void> }).loadURL = async (url: string) => {
        record.loaded = url;
      };
    }
    once() {}
  }
  return { BrowserWindow, shell: { openExternal } };
});

const { createMainWindow, APP_ORIGIN } = await import('../../electron/main/window');

describe('the main window', () => {
  beforeEach(() => {
    created.length = 0;
    openExternal.mockClear();
  });

  it('is hardened per Electron’s security checklist', () => {
    createMainWindow('/app/preload.cjs');
    const prefs = created[0]!.options.webPreferences;
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('loads the app origin, denies navigation and new windows, and opens only allow-listed links outside', () => {
    createMainWindow('/app/preload.cjs');
    const window = created[0]!;
    expect(window.loaded).toBe(`${APP_ORIGIN}/index.html`);
    const event = { preventDefault: vi.fn() };
    window.handlers['will-navigate']!(event, 'https://evil.example');
    window.handlers['will-attach-webview']!(event);
    expect(event.preventDefault).toHaveBeenCalledTimes(2);
    expect(window.openHandler!({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(window.openHandler!({ url: 'https://github.com/latent-studio' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://github.com/latent-studio');
  });
});
