/**
 * The noise schedule of a diffusion model (Ho et al. 2020, §2), in float64 so
 * that ᾱ_t, a product of up to T factors, keeps its precision. Index t runs
 * 0..T−1 as in diffusers: the sample at t has been noised t + 1 times.
 */
export interface NoiseSchedule {
  timesteps: number;
  betas: Float64Array;
  alphas: Float64Array;
  /** ᾱ_t = ∏_{s≤t} α_s. */
  alphasCumprod: Float64Array;
  /** How fewer than T sampling steps are spaced (linspace unless the model says otherwise). */
  spacing?: TimestepSpacing;
  /** Added to leading-spaced timesteps (diffusers' steps_offset). */
  offset?: number;
}

/** A schedule from its betas: α_t = 1 − β_t and ᾱ_t their running product, accumulated in float64. */
export function scheduleFromBetas(betas: ArrayLike<number>): NoiseSchedule {
  const timesteps = betas.length;
  if (timesteps < 1) throw new RangeError('a schedule needs at least one beta');
  const out = { timesteps, betas: new Float64Array(timesteps), alphas: new Float64Array(timesteps), alphasCumprod: new Float64Array(timesteps) };
  let product = 1;
  for (let t = 0; t < timesteps; t++) {
    const beta = betas[t]!;
    if (!(beta > 0 && beta < 1)) throw new RangeError(`betas must lie in (0, 1); β_${t} is ${beta}`);
    out.betas[t] = beta;
    out.alphas[t] = 1 - beta;
    product *= 1 - beta;
    out.alphasCumprod[t] = product;
  }
  return out;
}

function checkSpan(timesteps: number, betaStart: number, betaEnd: number): void {
  if (!Number.isInteger(timesteps) || timesteps < 1) throw new RangeError(`timesteps must be a positive integer; got ${timesteps}`);
  if (!(betaStart > 0 && betaStart < 1 && betaEnd > 0 && betaEnd < 1)) throw new RangeError(`betas must lie in (0, 1); got ${betaStart} to ${betaEnd}`);
}

/** β_t linear from betaStart to betaEnd inclusive (diffusers' "linear"; Ho et al. use 1e-4 to 0.02 over T = 1000). */
export function linearSchedule(timesteps: number, betaStart: number, betaEnd: number): NoiseSchedule {
  checkSpan(timesteps, betaStart, betaEnd);
  const span = timesteps > 1 ? timesteps - 1 : 1;
  return scheduleFromBetas(Array.from({ length: timesteps }, (_, t) => betaStart + ((betaEnd - betaStart) * t) / span));
}

/** √β_t linear from √betaStart to √betaEnd (diffusers' "scaled_linear", Stable Diffusion's 0.00085 to 0.012). */
export function scaledLinearSchedule(timesteps: number, betaStart: number, betaEnd: number): NoiseSchedule {
  checkSpan(timesteps, betaStart, betaEnd);
  const span = timesteps > 1 ? timesteps - 1 : 1;
  const [from, to] = [Math.sqrt(betaStart), Math.sqrt(betaEnd)];
  return scheduleFromBetas(Array.from({ length: timesteps }, (_, t) => (from + ((to - from) * t) / span) ** 2));
}

/**
 * The cosine schedule of Nichol & Dhariwal 2021 (eq. 17, diffusers'
 * "squaredcos_cap_v2"): ᾱ(τ) = f(τ)/f(0), f(τ) = cos²((τ + s)/(1 + s) · π/2)
 * with s = 0.008, and β_t = 1 − ᾱ((t+1)/T)/ᾱ(t/T) capped at 0.999 so the last
 * steps do not blow up.
 */
export function cosineSchedule(timesteps: number, s = 0.008, maxBeta = 0.999): NoiseSchedule {
  if (!Number.isInteger(timesteps) || timesteps < 1) throw new RangeError(`timesteps must be a positive integer; got ${timesteps}`);
  const f = (tau: number) => Math.cos(((tau + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return scheduleFromBetas(Array.from({ length: timesteps }, (_, t) => Math.min(1 - f((t + 1) / timesteps) / f(t / timesteps), maxBeta)));
}

/** Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) of q(x_t | x_0) (Kingma et al. 2021). */
export function signalToNoise(schedule: NoiseSchedule, t: number): number {
  checkTimestep(schedule, t);
  const alphaBar = alphaBarAt(schedule, t);
  return alphaBar / (1 - alphaBar);
}

export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/**
 * `steps` timesteps of T, descending, as diffusers' schedulers space them:
 * - linspace: evenly from T−1 down to 0 (rounded); steps = T gives every timestep, steps = 1 gives [T−1];
 * - leading: multiples of ⌊T/steps⌋ from 0, plus `offset` (Stable Diffusion 1.x: offset 1);
 * - trailing: from T−1 down in steps of T/steps (rounded), so the first step starts at pure noise.
 * Distinct because the spacing is at least 1.
 */
export function spacedTimesteps(timesteps: number, steps: number, spacing: TimestepSpacing = 'linspace', offset = 0): number[] {
  if (!Number.isInteger(timesteps) || timesteps < 1) throw new RangeError(`timesteps must be a positive integer; got ${timesteps}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > timesteps) throw new RangeError(`steps must be an integer in 1..${timesteps}; got ${steps}`);
  const out: number[] = [];
  if (spacing === 'leading') {
    const ratio = Math.floor(timesteps / steps);
    for (let k = steps - 1; k >= 0; k--) out.push(Math.min(timesteps - 1, k * ratio + offset));
  } else if (spacing === 'trailing') {
    const ratio = timesteps / steps;
    for (let k = 0; k < steps; k++) out.push(Math.round(timesteps - k * ratio) - 1);
  } else if (steps === 1) {
    out.push(timesteps - 1);
  } else {
    for (let k = steps - 1; k >= 0; k--) out.push(Math.round(((timesteps - 1) * k) / (steps - 1)));
  }
  return out;
}

/** ᾱ_t, with ᾱ_{−1} = 1 (the clean sample), which closes the last reverse step. */
export function alphaBarAt(schedule: NoiseSchedule, t: number): number {
  if (t < 0) return 1;
  checkTimestep(schedule, t);
  return schedule.alphasCumprod[t]!;
}

export function checkTimestep(schedule: NoiseSchedule, t: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= schedule.timesteps) throw new RangeError(`timestep ${t} is outside 0..${schedule.timesteps - 1}`);
}

/** Each chosen timestep's successor in the reverse process, −1 after the last (the clean sample). */
export function previousTimesteps(timesteps: readonly number[]): Map<number, number> {
  const prev = new Map<number, number>();
  timesteps.forEach((t, i) => prev.set(t, timesteps[i + 1] ?? -1));
  return prev;
}

/**
 * The timesteps a sampler visits and, for each, the one it steps to (−1 after
 * the last): the bookkeeping DDPM and DDIM share. All T until `set` is called.
 */
export class TimestepPlan {
  private chosen: number[];
  private prev: Map<number, number>;

  constructor(
    private readonly total: number,
    private readonly spacing: TimestepSpacing = 'linspace',
    private readonly offset = 0,
  ) {
    this.chosen = spacedTimesteps(total, total);
    this.prev = previousTimesteps(this.chosen);
  }

  /** Choose `steps` (1..T) timesteps, descending, spaced as the model was trained to be sampled. */
  set(steps: number): number[] {
    this.chosen = spacedTimesteps(this.total, steps, this.spacing, this.offset);
    this.prev = previousTimesteps(this.chosen);
    return [...this.chosen];
  }

  get timesteps(): number[] {
    return [...this.chosen];
  }

  /** The timestep after t, or −1 after the last; t must be one of the chosen. */
  previous(t: number): number {
    const tPrev = this.prev.get(t);
    if (tPrev === undefined) throw new RangeError(`timestep ${t} is not one of the ${this.chosen.length} chosen by setTimesteps`);
    return tPrev;
  }
}

/** What the DDPM and DDIM samplers share: their schedule, their options and the timesteps they visit. */
export abstract class PlannedScheduler<Options> {
  protected readonly plan: TimestepPlan;

  constructor(
    protected readonly schedule: NoiseSchedule,
    protected readonly options: Options,
  ) {
    this.plan = new TimestepPlan(schedule.timesteps, schedule.spacing, schedule.offset);
  }

  /** Choose `steps` (1..T) timesteps, descending, spaced as the schedule says; the full schedule until called. */
  setTimesteps(steps: number): number[] {
    return this.plan.set(steps);
  }

  get timesteps(): number[] {
    return this.plan.timesteps;
  }
}
