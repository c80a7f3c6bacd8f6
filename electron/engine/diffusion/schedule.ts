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
}

/** β_t linear from betaStart to betaEnd inclusive (diffusers' "linear"; Ho et al. use 1e-4 to 0.02 over T = 1000). */
export function linearSchedule(timesteps: number, betaStart: number, betaEnd: number): NoiseSchedule {
  if (!Number.isInteger(timesteps) || timesteps < 1) throw new RangeError(`timesteps must be a positive integer; got ${timesteps}`);
  if (!(betaStart > 0 && betaStart < 1 && betaEnd > 0 && betaEnd < 1)) throw new RangeError(`betas must lie in (0, 1); got ${betaStart} to ${betaEnd}`);
  const betas = new Float64Array(timesteps);
  const alphas = new Float64Array(timesteps);
  const alphasCumprod = new Float64Array(timesteps);
  const span = timesteps > 1 ? timesteps - 1 : 1;
  let product = 1;
  for (let t = 0; t < timesteps; t++) {
    const beta = betaStart + ((betaEnd - betaStart) * t) / span;
    betas[t] = beta;
    alphas[t] = 1 - beta;
    product *= 1 - beta;
    alphasCumprod[t] = product;
  }
  return { timesteps, betas, alphas, alphasCumprod };
}

/** Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) of q(x_t | x_0) (Kingma et al. 2021). */
export function signalToNoise(schedule: NoiseSchedule, t: number): number {
  checkTimestep(schedule, t);
  const alphaBar = alphaBarAt(schedule, t);
  return alphaBar / (1 - alphaBar);
}

/**
 * `steps` timesteps, descending and evenly spaced from T−1 down to 0 (rounded
 * to integers; distinct because the spacing is at least 1). steps = T gives
 * every timestep; steps = 1 gives [T−1] alone, a single jump to x_0.
 */
export function spacedTimesteps(timesteps: number, steps: number): number[] {
  if (!Number.isInteger(timesteps) || timesteps < 1) throw new RangeError(`timesteps must be a positive integer; got ${timesteps}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > timesteps) throw new RangeError(`steps must be an integer in 1..${timesteps}; got ${steps}`);
  if (steps === 1) return [timesteps - 1];
  const out: number[] = [];
  for (let k = steps - 1; k >= 0; k--) out.push(Math.round(((timesteps - 1) * k) / (steps - 1)));
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

  constructor(private readonly total: number) {
    this.chosen = spacedTimesteps(total, total);
    this.prev = previousTimesteps(this.chosen);
  }

  /** Choose `steps` (1..T) timesteps, descending from T−1. */
  set(steps: number): number[] {
    this.chosen = spacedTimesteps(this.total, steps);
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
    this.plan = new TimestepPlan(schedule.timesteps);
  }

  /** Choose `steps` (1..T) timesteps, descending from T−1; the full schedule until called. */
  setTimesteps(steps: number): number[] {
    return this.plan.set(steps);
  }

  get timesteps(): number[] {
    return this.plan.timesteps;
  }
}
