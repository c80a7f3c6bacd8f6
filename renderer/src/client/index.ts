import type { PreloadBridge, StudioClient } from '../../../electron/api/client';
import { ipcClient } from './ipcClient';
import { connectWebSocket } from './wsClient';

declare global {
  interface Window {
    studio?: PreloadBridge;
  }
}

/** The desktop app has a preload bridge; browser mode connects back to the server that served the page. */
export async function createClient(): Promise<StudioClient> {
  // zod and the contract's schemas (every message and every call's result, checked as they come back) are built in a
  // chunk of their own, after the page's first render: in the page's one bundle they were a third of the 107-114 ms task
  // that every page load was, and zod alone, with the few schemas the page still imported, half of what remained.
  const contract = import('./checks');
  if (window.studio) return ipcClient(window.studio, await contract);
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const url = new URL('/api', window.location.href);
  url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = new URLSearchParams({ token }).toString();
  return connectWebSocket(url.toString(), contract);
}
