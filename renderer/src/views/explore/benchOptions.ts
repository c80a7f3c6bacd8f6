import type { Encoding } from '../../state/latentStore';
import { randomNormal } from '../../../../electron/common/random';

/**
 * Options the benchmark suite opens the explorer with (?synthetic=N&bench=1):
 * N points made by jittering the dataset's own (to measure frame rate at scale),
 * and a pick-timing hook. Ordinary use never sets them.
 */
export const benchOptions = (() => {
  const params = new URLSearchParams(window.location.search);
  const synthetic = Number(params.get('synthetic'));
  return { synthetic: Number.isInteger(synthetic) && synthetic > 0 ? Math.min(synthetic, 1_000_000) : undefined, bench: params.get('bench') === '1' };
})();

export function expandEncoding(encoding: Encoding, count: number): Encoding {
  const original = encoding.labels.length;
  if (count <= original) return encoding;
  const { dim, rank } = encoding;
  const jitter = randomNormal(count * rank, 99);
  const coords = new Float32Array(count * rank);
  const codes = new Float32Array(count * dim);
  const labels: number[] = [];
  for (let n = 0; n < count; n++) {
    const source = n % original;
    labels.push(encoding.labels[source]!);
    for (let j = 0; j < rank; j++) coords[n * rank + j] = encoding.coords[source * rank + j]! + (n < original ? 0 : 0.05 * jitter[n * rank + j]!);
    codes.set(encoding.codes.subarray(source * dim, (source + 1) * dim), n * dim);
  }
  return { ...encoding, coords, codes, labels };
}
