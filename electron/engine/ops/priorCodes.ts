import { elementCount, float32Tensor, type Float32Tensor } from '../../api/tensor';
import { NormalStream } from '../diffusion/noise';

/** Values drawn between turns of the event loop: about 4 ms each here, so other calls are answered between them. */
const SLICE = 1 << 16;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Codes `from` … `count` − 1 of the `count` that randomNormal(count × size, seed) names, shape [count − from, ...shape]:
 * what a window would otherwise draw and send (a 1024 px VAE's sample grid, 16 × [4, 128, 128]: about 180 ms of a
 * page's main thread and a 4 MB message). Drawn in slices that yield, so a large draw never holds the engine's thread.
 */
export async function priorCodes(shape: readonly number[], prior: { seed: number; count: number; from: number }): Promise<Float32Tensor> {
  const size = elementCount(shape);
  const stream = new NormalStream(prior.seed);
  const out = new Float32Array((prior.count - prior.from) * size);
  let skip = prior.from * size;
  let filled = 0;
  while (skip > 0 || filled < out.length) {
    if (skip > 0) {
      const n = Math.min(skip, SLICE);
      stream.next(n);
      skip -= n;
    } else {
      const values = stream.next(Math.min(out.length - filled, SLICE));
      out.set(values, filled);
      filled += values.length;
    }
    if (skip > 0 || filled < out.length) await turn();
  }
  return float32Tensor([prior.count - prior.from, ...shape], out);
}
