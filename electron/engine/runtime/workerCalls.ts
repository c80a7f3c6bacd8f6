import { Worker } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Calls answered by a worker thread run from source: each message carries an id, and the worker answers
 * `{ id, value }` or `{ id, error }`. The worker starts with the first call, holds the process open only while a call
 * waits, and when it stops every waiting call fails with `stopped`'s words (the next call starts a new one).
 */
export class WorkerCalls {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly source: string,
    private readonly workerData: () => unknown,
    private readonly failures: { failed(message: string): string; stopped(reason: string): string },
    /** Called after a call settles or the worker stops, so a caller can tell when nothing waits. */
    private readonly onSettled: () => void = () => {},
  ) {}

  get busy(): boolean {
    return this.pending.size > 0;
  }

  call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.start();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Starts the worker now rather than with the first call, so what it loads at start is ready when that call comes. */
  start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.source, { eval: true, workerData: this.workerData() });
    worker.unref();
    worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: string }) => {
      const waiting = this.pending.get(id);
      if (!waiting) return;
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      if (error !== undefined) waiting.reject(new Error(this.failures.failed(error)));
      else waiting.resolve(value);
      this.onSettled();
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(new Error(this.failures.stopped(error.message)));
      this.pending.clear();
      this.onSettled();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
