import type { CallArgs, CallName, CallProgress, CallResult, EventName, EventPayload } from './contract';

export interface InvokeOptions<N extends CallName> {
  /** Cancels: the call rejects at once with `cancelled`. */
  signal?: AbortSignal;
  /**
   * Stops a job early but keeps its answer: the engine is told to cancel, and
   * the call still resolves with what the job returns when stopped (a job that
   * keeps a best-so-far, such as inversion), or rejects with `cancelled`.
   */
  stop?: AbortSignal;
  onProgress?: (progress: CallProgress<N>) => void;
}

/**
 * The one interface the renderer talks to; it never knows which transport is
 * underneath (Electron IPC or the browser-mode WebSocket).
 */
export interface StudioClient {
  readonly transport: 'ipc' | 'websocket';
  invoke<N extends CallName>(name: N, args: CallArgs<N>, options?: InvokeOptions<N>): Promise<CallResult<N>>;
  subscribe<E extends EventName>(name: E, handler: (payload: EventPayload<E>) => void): () => void;
}

/** What the preload exposes on window.studio: one function per named call, nothing generic. */
export interface PreloadBridge {
  calls: Record<CallName, (id: number, args: unknown) => Promise<unknown>>;
  cancel(id: number): void;
  onProgress(handler: (id: number, progress: unknown) => void): () => void;
  onEvent(handler: (name: string, payload: unknown) => void): () => void;
}
