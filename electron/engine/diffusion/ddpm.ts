import { checkLengths, predictX0 } from './forward';
import { alphaBarAt, checkTimestep, PlannedScheduler } from './schedule';

export interface DdpmOptions {
  /** 'posterior': σ_t² = β̃_t, the variance of q(x_{t−1} | x_t, x_0); 'beta': σ_t² = β_t (Ho et al. 2020, §3.2). */
  variance: 'posterior' | 'beta';
  /** Clamp the predicted x_0 to this range (diffusers' clip_sample). */
  clipSample?: [number, number];
}

export interface SamplerStep {
  prevSample: Float32Array;
  predOriginalSample: Float32Array;
}

/**
 * Ancestral DDPM sampling (Ho et al. 2020, Algorithm 2). With fewer steps than
 * T it runs the respaced process (Nichol & Dhariwal 2021, §4): between
 * consecutive chosen timesteps t > t' the effective step has
 * α = ᾱ_t / ᾱ_{t'} and β = 1 − α, so ᾱ is unchanged at every chosen timestep.
 */
export class DdpmScheduler extends PlannedScheduler<DdpmOptions> {

  /** x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t (eq. 15 rearranged), clipped to clipSample when given. */
  predictOriginal(eps: Float32Array, t: number, xt: Float32Array): Float32Array {
    return predictX0(this.schedule, eps, t, xt, this.options.clipSample);
  }

  /**
   * μ̃_t(x_t, x_0) = √ᾱ_{prev} β_t / (1 − ᾱ_t) x_0 + √α_t (1 − ᾱ_{prev}) / (1 − ᾱ_t) x_t
   * (eq. 7), with the effective α_t, β_t of the step t → tPrev; ᾱ_{prev} = 1 when tPrev < 0.
   */
  posteriorMean(x0: Float32Array, xt: Float32Array, t: number, tPrev: number): Float32Array {
    checkLengths(xt, x0);
    const { alphaBar, alphaBarPrev, alpha, beta } = this.coefficients(t, tPrev);
    const c0 = (Math.sqrt(alphaBarPrev) * beta) / (1 - alphaBar);
    const ct = (Math.sqrt(alpha) * (1 - alphaBarPrev)) / (1 - alphaBar);
    const out = new Float32Array(xt.length);
    for (let i = 0; i < xt.length; i++) out[i] = c0 * x0[i]! + ct * xt[i]!;
    return out;
  }

  /** β̃_t = (1 − ᾱ_{prev}) / (1 − ᾱ_t) β_t (eq. 7), with the effective β_t of the step t → tPrev. */
  posteriorVariance(t: number, tPrev: number): number {
    const { alphaBar, alphaBarPrev, beta } = this.coefficients(t, tPrev);
    return ((1 - alphaBarPrev) / (1 - alphaBar)) * beta;
  }

  /** Whether a step adds noise: always, but for the last step. */
  get usesNoise(): boolean {
    return true;
  }

  /**
   * x_{t−1} = μ̃_t(x_t, x̂_0) + σ_t z (Algorithm 2; μ̃ at x̂_0 is eq. 11's μ_θ),
   * with tPrev taken from setTimesteps. The last step returns the mean alone:
   * there ᾱ_{prev} = 1, so μ̃ is x̂_0 itself.
   */
  step(eps: Float32Array, t: number, xt: Float32Array, noise?: Float32Array, x0?: Float32Array): SamplerStep {
    const tPrev = this.plan.previous(t);
    // x̂_0 comes with ε̂ when the model predicts v or x_0 (see prediction.ts).
    const predOriginalSample = x0 ?? this.predictOriginal(eps, t, xt);
    const prevSample = this.posteriorMean(predOriginalSample, xt, t, tPrev);
    if (tPrev >= 0) {
      if (!noise) throw new RangeError(`DDPM needs noise at timestep ${t}`);
      checkLengths(xt, noise);
      const variance = this.options.variance === 'posterior' ? this.posteriorVariance(t, tPrev) : this.coefficients(t, tPrev).beta;
      const sigma = Math.sqrt(variance);
      for (let i = 0; i < prevSample.length; i++) prevSample[i] = prevSample[i]! + sigma * noise[i]!;
    }
    return { prevSample, predOriginalSample };
  }

  private coefficients(t: number, tPrev: number): { alphaBar: number; alphaBarPrev: number; alpha: number; beta: number } {
    checkTimestep(this.schedule, t);
    if (!Number.isInteger(tPrev) || tPrev < -1 || tPrev >= t) throw new RangeError(`previous timestep ${tPrev} must be an integer in −1..${t - 1}`);
    const alphaBar = alphaBarAt(this.schedule, t);
    const alphaBarPrev = alphaBarAt(this.schedule, tPrev);
    // Adjacent steps use the schedule's own β_t, so steps = T is eqs. 6–7 verbatim.
    const beta = tPrev === t - 1 ? this.schedule.betas[t]! : 1 - alphaBar / alphaBarPrev;
    return { alphaBar, alphaBarPrev, alpha: 1 - beta, beta };
  }
}
