import { mulberry32 } from '../../common/random';

/**
 * A seeded stream of standard-normal samples (Box–Muller over mulberry32), so
 * a seed names a whole sampling trajectory. The spare sine of each pair is
 * kept, so the values do not depend on how draws are chunked, and the stream
 * starts with exactly the values of randomNormal(count, seed).
 */
export class NormalStream {
  private readonly uniform: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.uniform = mulberry32(seed);
  }

  next(count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer; got ${count}`);
    const out = new Float32Array(count);
    let i = 0;
    if (count > 0 && this.spare !== undefined) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    for (; i < count; i += 2) {
      // 1 − u lies in (0, 1], so the log is finite.
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const theta = 2 * Math.PI * this.uniform();
      out[i] = r * Math.cos(theta);
      const sine = r * Math.sin(theta);
      if (i + 1 < count) out[i + 1] = sine;
      else this.spare = sine;
    }
    return out;
  }
}
