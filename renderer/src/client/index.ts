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
  if (window.studio) return ipcClient(window.studio);
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const url = new URL('/api', window.location.href);
  url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = new URLSearchParams({ token }).toString();
  return connectWebSocket(url.toString());
}
