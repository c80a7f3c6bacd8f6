import { describe, expect, it } from 'vitest';
import { randomNormal } from '../../electron/common/random';
import {
  createSampler,
  DdimScheduler,
  DdpmScheduler,
  linearSchedule,
  NormalStream,
  qSample,
  qStep,
  signalToNoise,
  spacedTimesteps,
  type Sampler,
} from '../../electron/engine/diffusion';

// The app's schedule (Ho et al. 2020): T = 1000, β linear from 1e-4 to 0.02.
const T = 1000;
const BETA_START = 1e-4;
const BETA_END = 0.02;
const schedule = linearSchedule(T, BETA_START, BETA_END);

/** β_t straight from the definition, independent of the module. */
const betaAt = (t: number): number => BETA_START + ((BETA_END - BETA_START) * t) / (T - 1);

/** ᾱ_t as a float64 product, recomputed independently; ᾱ_{−1} = 1. */
const alphaBarAt = (t: number): number => {
  let product = 1;
  for (let s = 0; s <= t; s++) product *= 1 - betaAt(s);
  return product;
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

const map = (a: ArrayLike<number>, f: (v: number, i: number) => number): Float64Array => Float64Array.from(a, f);

/** Per-coordinate empirical mean and variance of `count` stacked samples of length `dim`. */
function moments(samples: Float32Array, count: number, dim: number): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(dim).fill(0);
  const variance = new Array<number>(dim).fill(0);
  for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) mean[j]! += samples[n * dim + j]! / count;
  for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) variance[j]! += (samples[n * dim + j]! - mean[j]!) ** 2 / (count - 1);
  return { mean, variance };
}

describe('noise schedule', () => {
  it('has linear betas from betaStart to betaEnd inclusive, with α = 1 − β', () => {
    expect(schedule.timesteps).toBe(T);
    expect(schedule.betas.length).toBe(T);
    expect(schedule.betas[0]).toBe(BETA_START);
    expect(schedule.betas[T - 1]).toBeCloseTo(BETA_END, 15);
    for (const t of [1, 10, 250, 500, 998]) {
      expect(schedule.betas[t]).toBeCloseTo(betaAt(t), 15);
      expect(schedule.alphas[t]).toBeCloseTo(1 - betaAt(t), 15);
    }
  });

  it('has ᾱ_t equal to the product ∏_{s≤t} α_s, computed independently in float64', () => {
    for (const t of [0, 1, 10, 100, 499, 999]) {
      const expected = alphaBarAt(t);
      expect(Math.abs(schedule.alphasCumprod[t]! - expected) / expected).toBeLessThan(1e-12);
    }
    // Known endpoints of this schedule (numpy.cumprod of 1 − linspace(1e-4, 0.02, 1000)).
    expect(schedule.alphasCumprod[0]).toBeCloseTo(0.9999, 15);
    expect(schedule.alphasCumprod[499]! / 0.07858724288177824).toBeCloseTo(1, 12);
    expect(schedule.alphasCumprod[T - 1]! / 4.035829765375676e-5).toBeCloseTo(1, 10);
    for (let t = 1; t < T; t++) expect(schedule.alphasCumprod[t]!).toBeLessThan(schedule.alphasCumprod[t - 1]!);
  });

  it('gives the signal-to-noise ratio ᾱ_t / (1 − ᾱ_t), decreasing in t', () => {
    let last = Infinity;
    for (const t of [0, 1, 50, 500, 999]) {
      const alphaBar = alphaBarAt(t);
      const snr = signalToNoise(schedule, t);
      expect(Math.abs(snr - alphaBar / (1 - alphaBar)) / snr).toBeLessThan(1e-10);
      expect(snr).toBeLessThan(last);
      last = snr;
    }
    expect(signalToNoise(schedule, 0)).toBeCloseTo(9999, 6);
    expect(() => signalToNoise(schedule, -1)).toThrow(RangeError);
    expect(() => signalToNoise(schedule, T)).toThrow(RangeError);
  });

  it('spaces timesteps evenly, descending from T−1 to 0', () => {
    for (const steps of [2, 10, 50, 250, 999, 1000]) {
      const ts = spacedTimesteps(T, steps);
      expect(ts.length).toBe(steps);
      expect(ts[0]).toBe(T - 1);
      expect(ts[steps - 1]).toBe(0);
      const gaps = ts.slice(1).map((t, i) => ts[i]! - t);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1);
      // Even spacing: every gap is the ideal (T−1)/(steps−1), rounded one way or the other.
      const ideal = (T - 1) / (steps - 1);
      for (const gap of gaps) expect(Math.abs(gap - ideal)).toBeLessThanOrEqual(1);
      for (const t of ts) expect(Number.isInteger(t)).toBe(true);
    }
    expect(spacedTimesteps(T, T)).toEqual(Array.from({ length: T }, (_, i) => T - 1 - i));
    expect(spacedTimesteps(T, 1)).toEqual([T - 1]);
    expect(spacedTimesteps(T, 2)).toEqual([T - 1, 0]);
    expect(() => spacedTimesteps(T, 0)).toThrow(RangeError);
    expect(() => spacedTimesteps(T, T + 1)).toThrow(RangeError);
  });
});

describe('NormalStream', () => {
  it('repeats for a seed, differs across seeds, and does not depend on chunking', () => {
    const whole = new NormalStream(42).next(101);
    expect(new NormalStream(42).next(101)).toEqual(whole);
    expect(maxAbsDiff(new NormalStream(43).next(101), whole)).toBeGreaterThan(0.1);
    const chunked = new NormalStream(42);
    const parts = [chunked.next(3), chunked.next(0), chunked.next(1), chunked.next(50), chunked.next(47)];
    expect(Float32Array.from(parts.flatMap((p) => [...p]))).toEqual(whole);
    // The stream starts with the shared randomNormal's values for the same seed.
    expect(whole).toEqual(randomNormal(101, 42));
  });

  it('draws standard normals', () => {
    const count = 200_000;
    const { mean, variance } = moments(new NormalStream(7).next(count), count, 1);
    expect(Math.abs(mean[0]!)).toBeLessThan(5 / Math.sqrt(count));
    expect(Math.abs(variance[0]! - 1)).toBeLessThan(5 * Math.sqrt(2 / count));
  });
});

describe('forward process', () => {
  const x0 = Float32Array.of(-1.5, 0, 0.5, 2);
  const dim = x0.length;
  const count = 20_000;
  const tiled = new Float32Array(count * dim).map((_, i) => x0[i % dim]!);

  it('qSample is √ᾱ_t x_0 + √(1 − ᾱ_t) ε (eq. 4), and qStep is √(1 − β_t) x_{t−1} + √β_t ε', () => {
    const eps = new NormalStream(1).next(dim);
    for (const t of [0, 10, 500, 999]) {
      const a = alphaBarAt(t);
      expect(maxAbsDiff(qSample(schedule, x0, t, eps), map(x0, (v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]!))).toBeLessThan(1e-6);
      const b = betaAt(t);
      expect(maxAbsDiff(qStep(schedule, x0, t, eps), map(x0, (v, i) => Math.sqrt(1 - b) * v + Math.sqrt(b) * eps[i]!))).toBeLessThan(1e-6);
    }
    // ᾱ_0 = α_0, so the first step from x_0 is the closed form at t = 0.
    expect(qStep(schedule, x0, 0, eps)).toEqual(qSample(schedule, x0, 0, eps));
    expect(() => qSample(schedule, x0, T, eps)).toThrow(RangeError);
    expect(() => qSample(schedule, x0, 0, eps.subarray(1))).toThrow(RangeError);
  });

  it('qSample has mean √ᾱ_t x_0 and variance 1 − ᾱ_t over many draws', () => {
    const stream = new NormalStream(2);
    for (const t of [0, 99, 499, 999]) {
      const a = alphaBarAt(t);
      const { mean, variance } = moments(qSample(schedule, tiled, t, stream.next(count * dim)), count, dim);
      for (let j = 0; j < dim; j++) {
        // Five standard errors of the mean and of the sample variance.
        expect(Math.abs(mean[j]! - Math.sqrt(a) * x0[j]!)).toBeLessThan(5 * Math.sqrt((1 - a) / count));
        expect(Math.abs(variance[j]! - (1 - a))).toBeLessThan(5 * (1 - a) * Math.sqrt(2 / count));
      }
    }
  });

  it('iterating qStep from x_0 to t matches qSample’s statistics at t', () => {
    const stepStream = new NormalStream(3);
    const sampleStream = new NormalStream(4);
    let x: Float32Array = tiled;
    for (let t = 0; t <= 499; t++) {
      x = qStep(schedule, x, t, stepStream.next(count * dim));
      if (t !== 99 && t !== 499) continue;
      const a = alphaBarAt(t);
      const stepped = moments(x, count, dim);
      const direct = moments(qSample(schedule, tiled, t, sampleStream.next(count * dim)), count, dim);
      for (let j = 0; j < dim; j++) {
        expect(Math.abs(stepped.mean[j]! - Math.sqrt(a) * x0[j]!)).toBeLessThan(5 * Math.sqrt((1 - a) / count));
        expect(Math.abs(stepped.variance[j]! - (1 - a))).toBeLessThan(5 * (1 - a) * Math.sqrt(2 / count));
        // Two independent estimates: the difference has √2 times the standard error.
        expect(Math.abs(stepped.mean[j]! - direct.mean[j]!)).toBeLessThan(5 * Math.sqrt((2 * (1 - a)) / count));
        expect(Math.abs(stepped.variance[j]! - direct.variance[j]!)).toBeLessThan(5 * (1 - a) * Math.sqrt(4 / count));
      }
    }
  });
});

describe('DDPM posterior q(x_{t−1} | x_t, x_0), steps = T', () => {
  const dim = 16;
  const stream = new NormalStream(10);
  const x0 = stream.next(dim);
  const xt = stream.next(dim);
  const ts = [1, 2, 10, 100, 500, 998, 999];

  it('has β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) β_t (eq. 7), and 0 at t = 0', () => {
    const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
    for (const t of ts) {
      const expected = ((1 - alphaBarAt(t - 1)) / (1 - alphaBarAt(t))) * betaAt(t);
      expect(Math.abs(ddpm.posteriorVariance(t, t - 1) - expected) / expected).toBeLessThan(1e-10);
    }
    expect(ddpm.posteriorVariance(0, -1)).toBe(0);
  });

  it('has μ̃_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t) x_0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) x_t (eq. 7)', () => {
    const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
    for (const t of [0, ...ts]) {
      const a = alphaBarAt(t);
      const aPrev = alphaBarAt(t - 1);
      const b = betaAt(t);
      const expected = map(x0, (v, i) => ((Math.sqrt(aPrev) * b) / (1 - a)) * v + ((Math.sqrt(1 - b) * (1 - aPrev)) / (1 - a)) * xt[i]!);
      expect(maxAbsDiff(ddpm.posteriorMean(x0, xt, t, t - 1), expected)).toBeLessThan(1e-6);
    }
  });

  it('at x̂_0(ε) equals eq. 11’s μ_θ = (x_t − β_t / √(1 − ᾱ_t) ε) / √α_t, and step adds σ_t z', () => {
    const posterior = new DdpmScheduler(schedule, { variance: 'posterior' });
    const large = new DdpmScheduler(schedule, { variance: 'beta' });
    const eps = stream.next(dim);
    const z = stream.next(dim);
    for (const t of ts) {
      const a = alphaBarAt(t);
      const b = betaAt(t);
      const mu = map(xt, (v, i) => (v - (b / Math.sqrt(1 - a)) * eps[i]!) / Math.sqrt(1 - b));
      const x0Hat = posterior.predictOriginal(eps, t, xt);
      // x̂_0 divides by √ᾱ_t, so float32 rounding grows as ᾱ_t shrinks.
      const tol = 1e-6 / Math.sqrt(a);
      expect(maxAbsDiff(posterior.posteriorMean(x0Hat, xt, t, t - 1), mu)).toBeLessThan(tol);
      const withoutNoise = posterior.step(eps, t, xt, new Float32Array(dim)).prevSample;
      expect(maxAbsDiff(withoutNoise, mu)).toBeLessThan(tol);
      const variance = ((1 - alphaBarAt(t - 1)) / (1 - a)) * b;
      expect(maxAbsDiff(posterior.step(eps, t, xt, z).prevSample, map(mu, (m, i) => m + Math.sqrt(variance) * z[i]!))).toBeLessThan(tol);
      expect(maxAbsDiff(large.step(eps, t, xt, z).prevSample, map(mu, (m, i) => m + Math.sqrt(b) * z[i]!))).toBeLessThan(tol);
    }
    // The last step adds no noise: ᾱ_{−1} = 1 makes μ̃ the prediction x̂_0 itself.
    const last = posterior.step(eps, 0, xt, z);
    expect(maxAbsDiff(last.prevSample, last.predOriginalSample)).toBeLessThan(1e-6);
  });
});

describe('DDPM with the true ε', () => {
  const dim = 32;
  const stream = new NormalStream(20);
  const x0 = stream.next(dim).map((v) => Math.tanh(v));
  /** The ε that x_t actually carries relative to x_0: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε. */
  const oracle = (xt: Float32Array, t: number): Float32Array => {
    const a = alphaBarAt(t);
    return Float32Array.from(xt, (v, i) => (v - Math.sqrt(a) * x0[i]!) / Math.sqrt(1 - a));
  };

  it('predicts x_0, and its posterior mean matches eq. 7 evaluated at the true x_0', () => {
    const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
    for (const t of [1, 10, 100, 500, 999]) {
      const eps = stream.next(dim);
      const xt = qSample(schedule, x0, t, eps);
      const { predOriginalSample } = ddpm.step(eps, t, xt, stream.next(dim));
      const tol = 1e-6 / Math.sqrt(alphaBarAt(t));
      expect(maxAbsDiff(predOriginalSample, x0)).toBeLessThan(tol);
      const a = alphaBarAt(t);
      const aPrev = alphaBarAt(t - 1);
      const b = betaAt(t);
      const direct = map(x0, (v, i) => ((Math.sqrt(aPrev) * b) / (1 - a)) * v + ((Math.sqrt(1 - b) * (1 - aPrev)) / (1 - a)) * xt[i]!);
      expect(maxAbsDiff(ddpm.posteriorMean(predOriginalSample, xt, t, t - 1), direct)).toBeLessThan(tol);
    }
  });

  it('respaced to 50 steps keeps the marginals q(x_t | x_0) at every chosen timestep', () => {
    const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
    const ts = ddpm.setTimesteps(50);
    expect(ts).toEqual(spacedTimesteps(T, 50));
    const one = Float32Array.of(1);
    const zero = Float32Array.of(0);
    ts.forEach((t, i) => {
      const tPrev = ts[i + 1] ?? -1;
      const a = alphaBarAt(t);
      const aPrev = alphaBarAt(tPrev);
      const beta = 1 - a / aPrev;
      expect(ddpm.posteriorVariance(t, tPrev)).toBeCloseTo(((1 - aPrev) / (1 - a)) * beta, 12);
      // μ̃ = c_0 x_0 + c_t x_t; with x_t ~ q(x_t | x_0), x_{prev} ~ N(c_0 x_0 + c_t √ᾱ_t x_0, c_t² (1 − ᾱ_t) + β̃) must be q(x_{prev} | x_0).
      const c0 = ddpm.posteriorMean(one, zero, t, tPrev)[0]!;
      const ct = ddpm.posteriorMean(zero, one, t, tPrev)[0]!;
      expect(c0 + ct * Math.sqrt(a)).toBeCloseTo(Math.sqrt(aPrev), 6);
      expect(ct * ct * (1 - a) + ddpm.posteriorVariance(t, tPrev)).toBeCloseTo(1 - aPrev, 6);
    });
  });

  for (const steps of [50, 1000]) {
    it(`recovers x_0 at every step and at the end over ${steps} noisy steps`, () => {
      // With the ε that each x_t truly carries, x̂_0 = x_0 whatever noise was added, and the
      // last step (ᾱ_prev = 1) returns x̂_0. Feeding the first ε throughout would not be exact:
      // the added noise changes the ε each x_t carries.
      const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
      const noise = new NormalStream(21);
      const ts = ddpm.setTimesteps(steps);
      let x = qSample(schedule, x0, ts[0]!, noise.next(dim));
      for (const t of ts) {
        const out = ddpm.step(oracle(x, t), t, x, noise.next(dim));
        expect(maxAbsDiff(out.predOriginalSample, x0)).toBeLessThan(2e-6 / Math.sqrt(alphaBarAt(t)));
        x = out.prevSample;
      }
      expect(maxAbsDiff(x, x0)).toBeLessThan(1e-5);
    });
  }
});

describe('DDIM', () => {
  const dim = 32;
  const stream = new NormalStream(30);
  const x0 = stream.next(dim).map((v) => Math.tanh(v));
  const eps = stream.next(dim);
  const xT = qSample(schedule, x0, T - 1, eps);

  const run = (sampler: Sampler, steps: number, epsOf: (x: Float32Array, t: number) => Float32Array, x: Float32Array, noise?: NormalStream) => {
    const ts = sampler.setTimesteps(steps);
    const trace: { t: number; prevSample: Float32Array; predOriginalSample: Float32Array }[] = [];
    for (const t of ts) {
      const out = sampler.step(epsOf(x, t), t, x, noise ? noise.next(x.length) : new Float32Array(x.length));
      trace.push({ t, ...out });
      x = out.prevSample;
    }
    return { x, trace };
  };

  it('with η = 0 is deterministic and ignores any noise', () => {
    const a = new DdimScheduler(schedule, { eta: 0 });
    const b = new DdimScheduler(schedule, { eta: 0 });
    const ts = a.setTimesteps(50);
    b.setTimesteps(50);
    const fakeEps = (x: Float32Array) => x.map((v) => 0.1 * v);
    let x = xT;
    let y = xT;
    for (const t of ts) {
      const withoutNoise = a.step(fakeEps(x), t, x).prevSample;
      expect(a.step(fakeEps(x), t, x, stream.next(dim)).prevSample).toEqual(withoutNoise);
      x = withoutNoise;
      y = b.step(fakeEps(y), t, y).prevSample;
      expect(y).toEqual(x);
    }
  });

  for (const steps of [50, 1000]) {
    it(`with η = 0 and the true ε retraces q(x_t | x_0) and recovers x_0 over ${steps} steps`, () => {
      const ddim = new DdimScheduler(schedule, { eta: 0 });
      // DDIM with σ = 0 keeps the same ε: x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev) ε (eq. 12), so the fixed ε stays true.
      // The map is exact, so x_T's float32 rounding (~1e-7) sets the precision, amplified in x̂_0
      // by 1/√ᾱ_{T−1} ≈ 157 and carried unchanged to the end: about 2e-5 here.
      const { x, trace } = run(ddim, steps, () => eps, xT);
      trace.forEach(({ t, prevSample, predOriginalSample }, i) => {
        expect(maxAbsDiff(predOriginalSample, x0)).toBeLessThan(1e-4);
        const tPrev = trace[i + 1]?.t ?? -1;
        const expected = tPrev < 0 ? x0 : qSample(schedule, x0, tPrev, eps);
        expect(maxAbsDiff(prevSample, expected)).toBeLessThan(1e-4);
        expect(t).toBe(spacedTimesteps(T, steps)[i]);
      });
      expect(maxAbsDiff(x, x0)).toBeLessThan(1e-4);
    });
  }

  it('with η = 1 takes the same steps as respaced DDPM with the posterior variance', () => {
    // σ_t(1)² of eq. 16 is β̃_t of the respaced step, and eq. 12's mean is then μ̃_t.
    // Compared one step at a time from the same x_t and z: along whole trajectories the
    // float32 roundings of the two evaluation orders compound.
    const fakeEps = (x: Float32Array) => x.map((v) => 0.1 * v);
    for (const steps of [50, 1000]) {
      const ddim = new DdimScheduler(schedule, { eta: 1 });
      const ddpm = new DdpmScheduler(schedule, { variance: 'posterior' });
      const ts = ddim.setTimesteps(steps);
      expect(ddpm.setTimesteps(steps)).toEqual(ts);
      const noise = new NormalStream(31);
      let x = xT;
      for (const t of ts) {
        const z = noise.next(dim);
        const a = ddim.step(fakeEps(x), t, x, z);
        const b = ddpm.step(fakeEps(x), t, x, z);
        expect(a.predOriginalSample).toEqual(b.predOriginalSample);
        // Relative to the sample's size, which this toy ε lets grow to ~100.
        expect(maxAbsDiff(a.prevSample, b.prevSample) / Math.max(1, ...b.prevSample.map(Math.abs))).toBeLessThan(1e-6);
        x = b.prevSample;
      }
    }
  });

  it('needs noise only where σ_t > 0, and clips x̂_0 to clipSample', () => {
    const noisy = new DdimScheduler(schedule, { eta: 0.5 });
    noisy.setTimesteps(10);
    expect(() => noisy.step(eps, T - 1, xT)).toThrow(RangeError);
    // σ = 0 on the last step (ᾱ_prev = 1), so no noise is needed there.
    expect(() => noisy.step(eps, 0, xT)).not.toThrow();
    expect(() => noisy.step(eps, 500, xT, eps)).toThrow(/not one of the 10/);
    const clipped = new DdimScheduler(schedule, { eta: 0, clipSample: [-0.5, 0.5] });
    const { predOriginalSample } = clipped.step(eps, T - 1, xT);
    expect(maxAbsDiff(predOriginalSample, x0.map((v) => Math.min(0.5, Math.max(-0.5, v))))).toBeLessThan(1e-4);
  });
});

describe('seeded sampling', () => {
  const dim = 24;
  /** A toy 20-step loop: x_T and every step's noise drawn from one seeded stream, ε = 0.1 x_t. */
  const trajectory = (sampler: Sampler, seed: number): Float32Array[] => {
    const noise = new NormalStream(seed);
    let x = noise.next(dim);
    const out = [x];
    for (const t of sampler.setTimesteps(20)) {
      x = sampler.step(x.map((v) => 0.1 * v), t, x, noise.next(dim)).prevSample;
      out.push(x);
    }
    return out;
  };

  for (const spec of [{ kind: 'ddpm', variance: 'posterior' }, { kind: 'ddpm', variance: 'beta' }, { kind: 'ddim', eta: 1 }, { kind: 'ddim', eta: 0 }] as const) {
    it(`repeats a trajectory for a seed and changes it with the seed (${JSON.stringify(spec)})`, () => {
      const first = trajectory(createSampler(schedule, spec), 5);
      expect(first.length).toBe(21);
      expect(trajectory(createSampler(schedule, spec), 5)).toEqual(first);
      const other = trajectory(createSampler(schedule, spec), 6);
      expect(maxAbsDiff(other[20]!, first[20]!)).toBeGreaterThan(1e-3);
      for (const x of first) for (const v of x) expect(Number.isFinite(v)).toBe(true);
    });
  }

  it('createSampler builds the requested scheduler with the clip range', () => {
    expect(createSampler(schedule, { kind: 'ddpm', variance: 'beta' })).toBeInstanceOf(DdpmScheduler);
    const ddim = createSampler(schedule, { kind: 'ddim', eta: 0 }, [-1, 1]);
    expect(ddim).toBeInstanceOf(DdimScheduler);
    const big = Float32Array.of(1000, -1000);
    expect([...ddim.step(new Float32Array(2), 0, big, new Float32Array(2)).predOriginalSample]).toEqual([1, -1]);
  });
});
