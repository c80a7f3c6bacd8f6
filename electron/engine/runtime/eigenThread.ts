import workerSource from './eigenWorker.cjs?raw';
import { nodeRequire } from './ort';
import { WorkerCalls } from './workerCalls';

export interface SymmetricEigen {
  values: Float64Array;
  /** Row-major n × n: column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * The eigen-decomposition of a symmetric n × n matrix (row-major), on a worker thread, so the engine's thread goes on
 * answering meanwhile. The worker starts with the first call and holds the process open only while a call waits.
 */
const thread = new WorkerCalls(workerSource, () => ({ mlMatrixPath: nodeRequire.resolve('ml-matrix') }), {
  failed: (message) => `the eigen-decomposition failed: ${message}`,
  stopped: (reason) => `the eigen-decomposition's thread stopped (${reason}): run it again`,
});

export function symmetricEigen(matrix: Float64Array, n: number): Promise<SymmetricEigen> {
  // A copy is moved to the worker: the caller keeps its matrix.
  const copy = Float64Array.from(matrix);
  return thread.call<SymmetricEigen>({ n, matrix: copy }, [copy.buffer]);
}
