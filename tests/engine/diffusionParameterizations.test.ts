import { describe, expect, it } from 'vitest';
import { randomNormal } from '../../electron/common/random';
import { cosineSchedule, createSampler, interpretOutput, linearSchedule, scaledLinearSchedule, scheduleFromBetas, spacedTimesteps, type Prediction } from '../../electron/engine/diffusion';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('schedules beyond linear', () => {
  it("scaled_linear squares a linear ramp of √β (Stable Diffusion's 0.00085 to 0.012 ends at ᾱ ≈ 0.0047)", () => {
    const s = scaledLinearSchedule(1000, 0.00085, 0.012);
    for (const t of [0, 1, 500, 999]) expect(s.betas[t]).toBeCloseTo((Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * t) / 999) ** 2, 15);
    let product = 1;
    for (let t = 0; t < 1000; t++) product *= 1 - s.betas[t]!;
    expect(s.alphasCumprod[999]).toBeCloseTo(product, 15);
    expect(s.alphasCumprod[999]).toBeCloseTo(0.0047, 4);
  });

  it('cosine (squaredcos_cap_v2) follows ᾱ(τ) = f(τ)/f(0) with f = cos²((τ+s)/(1+s)·π/2), its last β capped at 0.999', () => {
    const T = 1000;
    const s = cosineSchedule(T);
    const f = (tau: number) => Math.cos(((tau + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    // Uncapped, the product of (1 − β) telescopes to f((t+1)/T) / f(0).
    for (const t of [0, 10, 250, 500, 900, 990]) expect(s.alphasCumprod[t]! / (f((t + 1) / T) / f(0))).toBeCloseTo(1, 10);
    expect(s.betas[T - 1]).toBe(0.999);
    expect(Math.max(...s.betas)).toBe(0.999);
    // ᾱ falls smoothly in the middle, unlike linear's early collapse: about half the signal survives at t = T/2.
    expect(s.alphasCumprod[499]).toBeCloseTo(f(0.5) / f(0), 10);
    expect(s.alphasCumprod[499]).toBeGreaterThan(0.45);
    expect(linearSchedule(T, 1e-4, 0.02).alphasCumprod[499]).toBeLessThan(0.1);
  });

  it('an explicit betas list is taken as given; a beta outside (0, 1) is refused with its index', () => {
    const s = scheduleFromBetas([0.1, 0.2, 0.5]);
    expect(Array.from(s.alphasCumprod)).toEqual([0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.5]);
    expect(() => scheduleFromBetas([0.1, 1, 0.2])).toThrow('betas must lie in (0, 1); β_1 is 1');
  });
});

describe('timestep spacing, as diffusers spaces 10 steps of 1000', () => {
  it('linspace: evenly from T−1 to 0', () => expect(spacedTimesteps(1000, 10, 'linspace')).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]));
  it('leading with offset 1 (Stable Diffusion 1.x): multiples of 100, plus 1', () => expect(spacedTimesteps(1000, 10, 'leading', 1)).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]));
  it('trailing: from T−1 down by T/steps', () => expect(spacedTimesteps(1000, 10, 'trailing')).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]));
  it('every spacing gives distinct descending steps, all of T at steps = T', () => {
    for (const spacing of ['linspace', 'leading', 'trailing'] as const) {
      for (const steps of [1, 3, 7, 50, 999, 1000]) {
        const out = spacedTimesteps(1000, steps, spacing);
        expect(out).toHaveLength(steps);
        expect(out.every((t, i) => t >= 0 && t < 1000 && (i === 0 || t < out[i - 1]!))).toBe(true);
      }
      expect(spacedTimesteps(1000, 1000, spacing)).toEqual(Array.from({ length: 1000 }, (_, i) => 999 - i));
    }
  });
});

describe('prediction types: ε, v and x_0 give the same ε̂ and x̂_0', () => {
  const schedule = cosineSchedule(1000);
  const n = 512;
  const x0 = randomNormal(n, 1).map((v) => Math.tanh(v));
  const eps = randomNormal(n, 2);
  const at = (t: number) => {
    const a = schedule.alphasCumprod[t]!;
    const xt = x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]!);
    const v = eps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * x0[i]!);
    return { xt, outputs: { epsilon: eps, v, sample: x0 } as Record<Prediction, Float32Array> };
  };

  for (const t of [0, 100, 500, 900, 998]) {
    it(`recovers the true ε and x_0 from each parameterization at t = ${t}`, () => {
      const { xt, outputs } = at(t);
      for (const prediction of ['epsilon', 'v', 'sample'] as const) {
        const out = interpretOutput(schedule, prediction, outputs[prediction], t, xt);
        // x̂_0 from ε divides by √ᾱ: near the end of the cosine schedule float32 inputs lose digits there, which v and x_0 avoid.
        const tolerance = prediction === 'epsilon' ? 1e-5 / Math.sqrt(schedule.alphasCumprod[t]!) : 1e-5;
        expect(maxDiff(out.x0, x0), `${prediction} x0`).toBeLessThan(tolerance);
        expect(maxDiff(out.eps, eps), `${prediction} eps`).toBeLessThan(prediction === 'sample' ? 1e-5 / Math.sqrt(1 - schedule.alphasCumprod[t]!) : 1e-5);
      }
    });
  }

  it('clamps x̂_0 to the clip range and, where it clamped, derives ε̂ again so the pair still adds up to x_t', () => {
    const t = 500;
    const a = schedule.alphasCumprod[t]!;
    const { xt } = at(t);
    // A prediction far outside [-1, 1] (as classifier-free guidance gives in pixel space), in each parameterization.
    const big = x0.map((v) => v * 3);
    const bigEps = big.map((v, i) => (xt[i]! - Math.sqrt(a) * v) / Math.sqrt(1 - a));
    const outputs: Record<Prediction, Float32Array> = { epsilon: bigEps, v: bigEps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * big[i]!), sample: big };
    for (const prediction of ['epsilon', 'v', 'sample'] as const) {
      const out = interpretOutput(schedule, prediction, outputs[prediction], t, xt, [-1, 1]);
      expect(Math.max(...out.x0), prediction).toBeLessThanOrEqual(1);
      expect(Math.min(...out.x0), prediction).toBeGreaterThanOrEqual(-1);
      expect(maxDiff(out.x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * out.eps[i]!), xt), prediction).toBeLessThan(1e-5);
      // Where x̂_0 was in range, ε̂ is the model's own.
      const inside = [...big.keys()].filter((i) => Math.abs(big[i]!) < 0.99);
      expect(inside.length).toBeGreaterThan(50);
      expect(Math.max(...inside.map((i) => Math.abs(out.eps[i]! - bigEps[i]!))), prediction).toBeLessThan(1e-4);
      expect(inside.every((i) => Math.abs(out.x0[i]! - big[i]!) < 1e-4), prediction).toBe(true);
    }
  });

  for (const spec of [{ kind: 'ddim', eta: 0 }, { kind: 'ddpm', variance: 'posterior' }] as const) {
    it(`${spec.kind.toUpperCase()} over 20 steps with a v-model retraces the same trajectory as with the equivalent ε-model`, () => {
      const a = createSampler(schedule, spec);
      const b = createSampler(schedule, spec);
      const steps = a.setTimesteps(20);
      b.setTimesteps(20);
      let xa: Float32Array = randomNormal(n, 3);
      let xb: Float32Array = xa.slice();
      for (const [i, t] of steps.entries()) {
        const abar = schedule.alphasCumprod[t]!;
        // A stand-in model whose ε̂ is a fixed function of x_t; its v-form says the same thing.
        const epsA = xa.map((v) => 0.5 * v);
        const vB = xb.map((v) => { const e = 0.5 * v; const clean = (v - Math.sqrt(1 - abar) * e) / Math.sqrt(abar); return Math.sqrt(abar) * e - Math.sqrt(1 - abar) * clean; });
        const noise = randomNormal(n, 100 + i);
        const fromV = interpretOutput(schedule, 'v', vB, t, xb);
        xa = a.step(epsA, t, xa, noise).prevSample;
        xb = b.step(fromV.eps, t, xb, noise, fromV.x0).prevSample;
        // Relative: this stand-in's x̂_0 reaches 1e4 where ᾱ is tiny, so float32 rounding there is absolute 1e-3.
        expect(maxDiff(xa, xb) / Math.max(1, ...Array.from(xa, Math.abs)), `step ${i}`).toBeLessThan(1e-5);
      }
    });
  }
});
