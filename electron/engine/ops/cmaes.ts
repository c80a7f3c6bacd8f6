import { NormalStream } from '../diffusion/noise';

/**
 * Separable CMA-ES (Ros & Hansen 2008): the evolution strategy with a diagonal covariance, whose
 * cost per generation is linear in the dimension, for minimising a function given only its values.
 * Used where a generator cannot be differentiated. ask() proposes λ points; tell() takes their values.
 */
export class SeparableCmaEs {
  readonly lambda: number;
  readonly mean: Float64Array;
  sigma: number;
  private readonly diagonal: Float64Array;
  private readonly pathSigma: Float64Array;
  private readonly pathC: Float64Array;
  private readonly weights: number[];
  private readonly muEff: number;
  private readonly cSigma: number;
  private readonly dSigma: number;
  private readonly cC: number;
  private readonly c1: number;
  private readonly cMu: number;
  private readonly expectedNorm: number;
  private readonly noise: NormalStream;
  private generation = 0;
  private standard: Float64Array[] = [];

  constructor(start: ArrayLike<number>, sigma: number, seed: number) {
    const n = start.length;
    this.mean = Float64Array.from(start);
    this.sigma = sigma;
    this.lambda = 4 + Math.floor(3 * Math.log(n));
    const mu = Math.floor(this.lambda / 2);
    const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.muEff = 1 / this.weights.reduce((a, w) => a + w * w, 0);
    this.cSigma = (this.muEff + 2) / (n + this.muEff + 5);
    this.dSigma = 1 + 2 * Math.max(0, Math.sqrt((this.muEff - 1) / (n + 1)) - 1) + this.cSigma;
    this.cC = (4 + this.muEff / n) / (n + 4 + (2 * this.muEff) / n);
    // The diagonal model learns (n + 2)/3 times faster than the full one (Ros & Hansen, eq. 5).
    const speed = (n + 2) / 3;
    this.c1 = Math.min(1, (speed * 2) / ((n + 1.3) ** 2 + this.muEff));
    this.cMu = Math.min(1 - this.c1, (speed * 2 * (this.muEff - 2 + 1 / this.muEff)) / ((n + 2) ** 2 + this.muEff));
    this.expectedNorm = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.diagonal = new Float64Array(n).fill(1);
    this.pathSigma = new Float64Array(n);
    this.pathC = new Float64Array(n);
    this.noise = new NormalStream(seed);
  }

  /** λ candidate points, row by row, in one array of λ·n values. */
  ask(): Float32Array {
    const n = this.mean.length;
    const points = new Float32Array(this.lambda * n);
    this.standard = [];
    for (let k = 0; k < this.lambda; k++) {
      const z = Float64Array.from(this.noise.next(n));
      this.standard.push(z);
      for (let j = 0; j < n; j++) points[k * n + j] = this.mean[j]! + this.sigma * Math.sqrt(this.diagonal[j]!) * z[j]!;
    }
    return points;
  }

  /** The values of the last ask()'s points, in the same order. */
  tell(values: ArrayLike<number>): void {
    const n = this.mean.length;
    const order = Array.from({ length: this.lambda }, (_, k) => k).sort((a, b) => values[a]! - values[b]!);
    const zW = new Float64Array(n);
    const yW = new Float64Array(n);
    const rankMu = new Float64Array(n);
    this.weights.forEach((w, i) => {
      const z = this.standard[order[i]!]!;
      for (let j = 0; j < n; j++) {
        const y = Math.sqrt(this.diagonal[j]!) * z[j]!;
        zW[j]! += w * z[j]!;
        yW[j]! += w * y;
        rankMu[j]! += w * y * y;
      }
    });
    for (let j = 0; j < n; j++) this.mean[j]! += this.sigma * yW[j]!;
    const kSigma = Math.sqrt(this.cSigma * (2 - this.cSigma) * this.muEff);
    let norm = 0;
    for (let j = 0; j < n; j++) {
      this.pathSigma[j] = (1 - this.cSigma) * this.pathSigma[j]! + kSigma * zW[j]!;
      norm += this.pathSigma[j]! ** 2;
    }
    norm = Math.sqrt(norm);
    this.generation++;
    const stalled = norm / Math.sqrt(1 - (1 - this.cSigma) ** (2 * this.generation)) < (1.4 + 2 / (n + 1)) * this.expectedNorm;
    const hSigma = stalled ? 1 : 0;
    const kC = Math.sqrt(this.cC * (2 - this.cC) * this.muEff);
    for (let j = 0; j < n; j++) {
      this.pathC[j] = (1 - this.cC) * this.pathC[j]! + hSigma * kC * yW[j]!;
      const rankOne = this.pathC[j]! ** 2 + (1 - hSigma) * this.cC * (2 - this.cC) * this.diagonal[j]!;
      this.diagonal[j] = (1 - this.c1 - this.cMu) * this.diagonal[j]! + this.c1 * rankOne + this.cMu * rankMu[j]!;
    }
    this.sigma *= Math.exp((this.cSigma / this.dSigma) * (norm / this.expectedNorm - 1));
  }
}
