import { DdimScheduler } from './ddim';
import { DdpmScheduler } from './ddpm';
import type { NoiseSchedule } from './schedule';

export { DdimScheduler, type DdimOptions } from './ddim';
export { DdpmScheduler, type DdpmOptions, type SamplerStep } from './ddpm';
export { predictX0, qSample, qStep } from './forward';
export { NormalStream } from './noise';
export { interpretOutput, type Prediction } from './prediction';
export { cosineSchedule, linearSchedule, scaledLinearSchedule, scheduleFromBetas, signalToNoise, spacedTimesteps, type NoiseSchedule, type TimestepSpacing } from './schedule';

export type Sampler = DdpmScheduler | DdimScheduler;

export type SamplerSpec = { kind: 'ddpm'; variance: 'posterior' | 'beta' } | { kind: 'ddim'; eta: number };

/** A sampler over the full schedule; call setTimesteps to choose fewer steps. */
export function createSampler(schedule: NoiseSchedule, spec: SamplerSpec, clipSample?: [number, number]): Sampler {
  return spec.kind === 'ddpm' ? new DdpmScheduler(schedule, { variance: spec.variance, clipSample }) : new DdimScheduler(schedule, { eta: spec.eta, clipSample });
}
