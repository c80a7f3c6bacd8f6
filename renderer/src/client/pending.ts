import type { CallName } from '../../../electron/api/contract';
import { ApiError } from '../../../electron/api/errors';

/** The schemas messages are checked against (checks.ts, loaded after the page's first render). */
export type Contract = typeof import('./checks');

interface PendingCall {
  name: CallName;
  resolve(result: unknown): void;
  reject(error: ApiError): void;
  onProgress?: (progress: unknown) => void;
}

/**
 * Book-keeping shared by both transports: ids, pending calls, progress routing,
 * and validation of everything that comes back against the contract.
 */
export class PendingCalls {
  private nextId = 1;
  /** The contract's schemas, handed in: the client loads them after the page's first render (see createClient). */
  constructor(private readonly contract: Contract) {}

  private readonly pending = new Map<number, PendingCall>();
  private readonly eventHandlers = new Map<string, Set<(payload: unknown) => void>>();

  start(name: CallName, onProgress?: (progress: unknown) => void): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => this.pending.set(id, { name, resolve, reject, onProgress }));
    return { id, done };
  }

  /** Settles a call locally (cancelled, or its transport failed). */
  fail(id: number, error: ApiError): void {
    this.pending.get(id)?.reject(error);
    this.pending.delete(id);
  }

  failAll(error: ApiError): void {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }

  /** Takes any message from the host: a result, an error, progress or an event. */
  receive(raw: unknown): void {
    const parsed = this.contract.ServerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      console.error('Latent Studio: ignored a malformed message from the engine', parsed.error.issues[0]);
      return;
    }
    const message = parsed.data;
    if (message.type === 'event') {
      for (const handler of this.eventHandlers.get(message.name) ?? []) handler(message.payload);
      return;
    }
    if (message.id === null) {
      console.error(`Latent Studio: the engine reported ${message.type === 'error' ? message.error.message : 'a message without id'}`);
      return;
    }
    const call = this.pending.get(message.id);
    if (!call) return; // cancelled or already settled
    if (message.type === 'progress') {
      call.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'error') {
      call.reject(ApiError.from(message.error));
      return;
    }
    const checked = this.contract.calls[call.name].result.safeParse(message.result);
    if (checked.success) call.resolve(checked.data);
    else call.reject(new ApiError('internal', `the engine's ${call.name} result does not match the contract: ${checked.error.issues[0]?.message}`));
  }

  subscribe(name: string, handler: (payload: unknown) => void): () => void {
    let handlers = this.eventHandlers.get(name);
    if (!handlers) this.eventHandlers.set(name, (handlers = new Set()));
    handlers.add(handler);
    return () => handlers.delete(handler);
  }
}
