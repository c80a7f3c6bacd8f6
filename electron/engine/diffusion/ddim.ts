import { checkLengths, predictX0 } from './forward';
import type { SamplerStep } from './ddpm';
import { alphaBarAt, type NoiseSchedule, PlannedScheduler } from './schedule';

export interface DdimOptions {
  /** η of Song et al. 2021, eq. 16: 0 is the deterministic DDIM, 1 has DDPM's posterior variance. */
  eta: number;
  /** Clamp the predicted x_0 to this range (diffusers' clip_sample). */
  clipSample?: [number, number];
}

/**
 * DDIM sampling (Song et al. 2021, eq. 12) over a subsequence of timesteps.
 * Past the last step ᾱ_prev = 1 (diffusers' set_alpha_to_one), so the final
 * sample is the predicted x_0.
 */
export class DdimScheduler extends PlannedScheduler<DdimOptions> {
  constructor(schedule: NoiseSchedule, options: DdimOptions) {
    if (!(options.eta >= 0)) throw new RangeError(`eta must be non-negative; got ${options.eta}`);
    super(schedule, options);
  }

  /** Whether a step adds noise: only where η > 0 (η = 0 is deterministic). */
  get usesNoise(): boolean {
    return this.options.eta > 0;
  }

  /**
   * x_{t−1} = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ_t²) ε + σ_t z (eq. 12), with
   * σ_t(η) = η √((1 − ᾱ_prev)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev) (eq. 16). Noise is
   * needed only where σ_t > 0, so η = 0 may omit it.
   */
  step(eps: Float32Array, t: number, xt: Float32Array, noise?: Float32Array, x0?: Float32Array): SamplerStep {
    const tPrev = this.plan.previous(t);
    // x̂_0 comes with ε̂ when the model predicts v or x_0 (see prediction.ts).
    const predOriginalSample = x0 ?? predictX0(this.schedule, eps, t, xt, this.options.clipSample);
    const alphaBar = alphaBarAt(this.schedule, t);
    const alphaBarPrev = alphaBarAt(this.schedule, tPrev);
    const sigma = this.options.eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * Math.sqrt(1 - alphaBar / alphaBarPrev);
    const signal = Math.sqrt(alphaBarPrev);
    // Rounding can push 1 − ᾱ_prev − σ² a hair below zero at η = 1.
    const direction = Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma));
    if (sigma > 0) {
      if (!noise) throw new RangeError(`DDIM with eta ${this.options.eta} needs noise at timestep ${t}`);
      checkLengths(xt, noise);
    }
    const prevSample = new Float32Array(xt.length);
    for (let i = 0; i < xt.length; i++) {
      const mean = signal * predOriginalSample[i]! + direction * eps[i]!;
      prevSample[i] = sigma > 0 ? mean + sigma * noise![i]! : mean;
    }
    return { prevSample, predOriginalSample };
  }
}
