import { contextBridge, ipcRenderer } from 'electron';
import { CALL_NAMES } from '../api/callNames';
import type { PreloadBridge } from '../api/client';

// Only the contract's named calls cross; no generic send, no ipcRenderer, no process.
const calls = Object.fromEntries(
  CALL_NAMES.map((name) => [name, (id: number, args: unknown) => ipcRenderer.invoke('studio:call', { id, name, args })]),
) as PreloadBridge['calls'];

function listen(handler: (message: { type?: string; id?: number; progress?: unknown; name?: string; payload?: unknown }) => void) {
  const listener = (_event: Electron.IpcRendererEvent, message: Parameters<typeof handler>[0]) => handler(message);
  ipcRenderer.on('studio:message', listener);
  return () => {
    ipcRenderer.removeListener('studio:message', listener);
  };
}

const bridge: PreloadBridge = {
  calls,
  cancel: (id) => ipcRenderer.send('studio:cancel', id),
  onProgress: (handler) => listen((m) => m.type === 'progress' && handler(m.id!, m.progress)),
  onEvent: (handler) => listen((m) => m.type === 'event' && handler(m.name!, m.payload)),
};

contextBridge.exposeInMainWorld('studio', bridge);
