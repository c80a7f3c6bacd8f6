import { Worker } from 'node:worker_threads';
import workerSource from './eigenWorker.cjs?raw';
import { nodeRequire } from './ort';

export interface SymmetricEigen {
  values: Float64Array;
  /** Row-major n × n: column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * The eigen-decomposition of a symmetric n × n matrix (row-major), on a worker thread, so the engine's thread goes on
 * answering meanwhile. The worker starts with the first call and holds the process open only while a call waits.
 */
class EigenThread {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve(value: SymmetricEigen): void; reject(error: Error): void }>();
  private nextId = 1;

  decompose(matrix: Float64Array, n: number): Promise<SymmetricEigen> {
    const worker = this.start();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const copy = Float64Array.from(matrix);
      worker.postMessage({ id, n, matrix: copy }, [copy.buffer]);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerSource, { eval: true, workerData: { mlMatrixPath: nodeRequire.resolve('ml-matrix') } });
    worker.unref();
    worker.on('message', ({ id, values, vectors, error }: { id: number; values?: Float64Array; vectors?: Float64Array; error?: string }) => {
      const waiting = this.pending.get(id);
      if (!waiting) return;
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      if (error !== undefined) waiting.reject(new Error(`the eigen-decomposition failed: ${error}`));
      else waiting.resolve({ values: values!, vectors: vectors! });
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(new Error(`the eigen-decomposition's thread stopped (${error.message}): run it again`));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const thread = new EigenThread();

export const symmetricEigen = (matrix: Float64Array, n: number): Promise<SymmetricEigen> => thread.decompose(matrix, n);
