// Symmetric eigen-decompositions (ml-matrix), on a thread of their own: the PCA of large codes decomposes a 512 × 512
// Gram matrix, 1.4 s of JavaScript that held the engine's thread (the server, or Electron's main process). Loaded as
// source by eigenThread.ts; messages: { id, n, matrix } (row-major Float64Array) → { id, value: { values, vectors } } (column j
// of `vectors`, row-major n × n, is the eigenvector of values[j]).
const { parentPort, workerData } = require('node:worker_threads');
const { EigenvalueDecomposition, Matrix } = require(workerData.mlMatrixPath);

parentPort.on('message', ({ id, n, matrix }) => {
  try {
    const rows = Array.from({ length: n }, (_, i) => Array.from(matrix.subarray(i * n, (i + 1) * n)));
    const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
    const values = Float64Array.from(evd.realEigenvalues);
    const vectors = Float64Array.from(evd.eigenvectorMatrix.to1DArray());
    parentPort.postMessage({ id, value: { values, vectors } }, [values.buffer, vectors.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
});
