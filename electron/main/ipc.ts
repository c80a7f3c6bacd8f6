import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { ApiError } from '../api/errors';
import type { ServerMessage } from '../api/messages';
import { withOwnBuffers } from '../api/ownBuffers';
import { Connection } from '../engine/connection';
import type { Engine } from '../engine/engine';
import { APP_ORIGIN } from './window';

export const IPC_CALL = 'studio:call';
export const IPC_CANCEL = 'studio:cancel';
export const IPC_MESSAGE = 'studio:message';

/** Only the app's own top frame, loaded from the app origin, may talk to the engine. */
export function isTrustedSender(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  try {
    // Node's URL gives custom schemes an opaque origin, so compare scheme and host.
    const url = new URL(frame.url);
    return `${url.protocol}//${url.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Wires the contract to ipcMain: one Connection per renderer, named channels only. */
export function wireIpc(engine: Engine): void {
  const connections = new Map<number, Connection>();
  const connectionFor = (contents: WebContents) => {
    let connection = connections.get(contents.id);
    if (!connection) {
      connection = new Connection(engine, (message: ServerMessage) => {
        if (!contents.isDestroyed()) contents.send(IPC_MESSAGE, withOwnBuffers(message));
      });
      connections.set(contents.id, connection);
      // The connection lives as long as the page: a reload or a crashed renderer starts a new page in the same
      // window, and the old page's jobs and autosave session must end with it (so its work is offered back).
      const id = contents.id;
      const current = connection;
      const drop = () => {
        current.close();
        if (connections.get(id) === current) connections.delete(id);
        contents.off('did-start-navigation', onNavigate);
        contents.off('render-process-gone', drop);
        contents.off('destroyed', drop);
      };
      const onNavigate = (details: { isMainFrame: boolean; isSameDocument: boolean }) => {
        if (details.isMainFrame && !details.isSameDocument) drop();
      };
      contents.on('did-start-navigation', onNavigate);
      contents.on('render-process-gone', drop);
      contents.on('destroyed', drop);
    }
    return connection;
  };

  ipcMain.handle(IPC_CALL, async (event, raw: unknown): Promise<ServerMessage> => {
    if (!isTrustedSender(event)) {
      return { type: 'error', id: null, error: new ApiError('unauthorized', 'calls are accepted only from the app window').toJSON() };
    }
    const { id, name, args } = (raw ?? {}) as { id?: unknown; name?: unknown; args?: unknown };
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      return { type: 'error', id: null, error: new ApiError('bad-request', 'message.id: expected a non-negative integer', 'message.id').toJSON() };
    }
    if (typeof name !== 'string') {
      return { type: 'error', id: id as number, error: new ApiError('bad-request', 'message.name: expected a call name', 'message.name').toJSON() };
    }
    // Replies go by structured clone, which would carry the whole buffer behind any view in them.
    return withOwnBuffers(await connectionFor(event.sender).call(id as number, name, args));
  });

  ipcMain.on(IPC_CANCEL, (event, id: unknown) => {
    if (isTrustedSender(event) && Number.isSafeInteger(id)) connections.get(event.sender.id)?.cancel(id as number);
  });
}
