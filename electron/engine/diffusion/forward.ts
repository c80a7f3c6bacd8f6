import { alphaBarAt, checkTimestep, type NoiseSchedule } from './schedule';

/** Sample q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) in closed form (Ho et al. 2020, eq. 4): √ᾱ_t x_0 + √(1 − ᾱ_t) ε. */
export function qSample(schedule: NoiseSchedule, x0: Float32Array, t: number, noise: Float32Array): Float32Array {
  checkLengths(x0, noise);
  checkTimestep(schedule, t);
  const alphaBar = alphaBarAt(schedule, t);
  const signal = Math.sqrt(alphaBar);
  const spread = Math.sqrt(1 - alphaBar);
  const out = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = signal * x0[i]! + spread * noise[i]!;
  return out;
}

/**
 * One forward step q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I) (Ho et al.
 * 2020, eq. 2). Steps 0..t from x_0 compose to qSample at t, in distribution.
 */
export function qStep(schedule: NoiseSchedule, xPrev: Float32Array, t: number, noise: Float32Array): Float32Array {
  checkLengths(xPrev, noise);
  checkTimestep(schedule, t);
  const beta = schedule.betas[t]!;
  const keep = Math.sqrt(1 - beta);
  const spread = Math.sqrt(beta);
  const out = new Float32Array(xPrev.length);
  for (let i = 0; i < xPrev.length; i++) out[i] = keep * xPrev[i]! + spread * noise[i]!;
  return out;
}

export function checkLengths(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`sample and noise lengths differ: ${a.length} and ${b.length}`);
}

/**
 * x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t, eq. 4 solved for x_0 (Ho et al. 2020,
 * eq. 15), clamped to `clip` when given (diffusers' clip_sample). Shared by
 * the samplers, which all start from this estimate.
 */
export function predictX0(schedule: NoiseSchedule, eps: Float32Array, t: number, xt: Float32Array, clip?: [number, number]): Float32Array {
  checkLengths(xt, eps);
  checkTimestep(schedule, t);
  const alphaBar = alphaBarAt(schedule, t);
  const signal = Math.sqrt(alphaBar);
  const spread = Math.sqrt(1 - alphaBar);
  const out = new Float32Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    const x0 = (xt[i]! - spread * eps[i]!) / signal;
    out[i] = clip ? Math.min(clip[1], Math.max(clip[0], x0)) : x0;
  }
  return out;
}
