import { ClientMessageSchema, type ServerMessage } from '../api/messages';
import { ApiError } from '../api/errors';
import { schemaError } from '../api/errorSchemas';
import { dispatchCall } from './dispatch';
import type { Engine } from './engine';

/**
 * One client's conversation with the engine, whichever transport carries it:
 * validates each envelope, runs calls, routes progress, and aborts a call on
 * cancel or when the client goes away.
 */
let connections = 0;

export class Connection {
  readonly id = ++connections;
  private readonly inflight = new Map<number, AbortController>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly engine: Engine,
    private readonly send: (message: ServerMessage) => void,
  ) {
    this.unsubscribe = engine.on('models.changed', (payload) => send({ type: 'event', name: 'models.changed', payload }));
  }

  /** Takes one decoded message off the wire; a malformed one is answered with a schema error. */
  receive(raw: unknown): void {
    const parsed = ClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = idOf(raw);
      this.send({ type: 'error', id, error: schemaError(parsed.error, 'message').toJSON() });
      return;
    }
    const message = parsed.data;
    if (message.type === 'cancel') this.cancel(message.id);
    else void this.call(message.id, message.name, message.args).then((reply) => this.send(reply));
  }

  async call(id: number, name: string, args: unknown): Promise<ServerMessage> {
    if (this.inflight.has(id)) {
      return { type: 'error', id, error: new ApiError('bad-request', `call id ${id} is already in flight`, 'id').toJSON() };
    }
    const controller = new AbortController();
    this.inflight.set(id, controller);
    try {
      const outcome = await dispatchCall(this.engine.handlers, name, args, {
        signal: controller.signal,
        client: this.id,
        onProgress: (progress) => {
          if (!controller.signal.aborted) this.send({ type: 'progress', id, progress });
        },
      });
      return outcome.ok ? { type: 'result', id, result: outcome.result } : { type: 'error', id, error: outcome.error };
    } finally {
      this.inflight.delete(id);
    }
  }

  cancel(id: number): void {
    this.inflight.get(id)?.abort();
  }

  close(): void {
    for (const controller of this.inflight.values()) controller.abort();
    this.inflight.clear();
    this.unsubscribe();
    this.engine.disconnected(this.id);
  }
}

function idOf(raw: unknown): number | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof raw === 'object' && Number.isSafeInteger(id) && (id as number) >= 0 ? (id as number) : null;
}
