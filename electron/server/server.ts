import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiError } from '../api/errors';
import type { ServerMessage } from '../api/messages';
import { encodeFrame, FrameAssembler, splitFrame } from '../api/wire';
import { Connection } from '../engine/connection';
import type { Engine } from '../engine/engine';
import { allowedOrigins, CONTENT_SECURITY_POLICY, hostAllowed, tokensEqual } from './security';

export interface BrowserServerOptions {
  engine: Engine;
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * Browser mode: the built renderer and the API contract over WebSocket, on
 * 127.0.0.1 only. The page and the socket need the per-launch token; the
 * socket also needs the server's own Origin.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const http = createServer((req, res) => serveStatic(req, res, options.rendererDir, token, port));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal =
      url.pathname !== '/api'
        ? '404 Not Found'
        : !hostAllowed(req.headers.host, port)
          ? '403 Forbidden'
          : !tokensEqual(token, url.searchParams.get('token'))
            ? '401 Unauthorized'
            : !allowedOrigins(port).includes(req.headers.origin ?? '')
              ? '403 Forbidden'
              : undefined;
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.engine));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

function serveSocket(ws: WebSocket, engine: Engine): void {
  let seq = 0;
  // A large reply goes as parts (splitFrame), so the page is never held by one message.
  const send = (message: ServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    for (const part of splitFrame(encodeFrame(message), seq++)) ws.send(part);
  };
  const connection = new Connection(engine, send);
  // The page sends a large call (frames to export) as parts too, so its sending never holds it in one task.
  const incoming = new FrameAssembler(MAX_MESSAGE_BYTES);
  ws.on('message', (data: RawData, isBinary: boolean) => {
    let message: unknown;
    try {
      if (!isBinary) throw new Error('messages are binary frames (see electron/api/wire.ts), not text');
      message = incoming.take(toBytes(data));
    } catch (error) {
      send({ type: 'error', id: null, error: new ApiError('bad-request', `frame: ${(error as Error).message}`, 'frame').toJSON() });
      return;
    }
    if (message !== undefined) connection.receive(message);
  });
  ws.on('close', () => connection.close());
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, token: string, port: number): void {
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
  const fail = (status: number, text: string) => {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };
  if (!hostAllowed(req.headers.host, port)) return fail(403, 'Forbidden: unexpected Host header');
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'Method not allowed');
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const isPage = url.pathname === '/' || url.pathname === '/index.html';
  if (isPage && !tokensEqual(token, url.searchParams.get('token'))) {
    return fail(401, 'Latent Studio: this address needs the token printed when the server started (…/?token=…).');
  }
  const relative = isPage ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return fail(404, 'Not found');
  res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}
