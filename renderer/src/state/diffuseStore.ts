import { create } from 'zustand';
import type { CallArgs, CallProgress, CallResult } from '../../../electron/api/contract';
import type { StudioClient } from '../../../electron/api/client';
import { ApiError } from '../../../electron/api/errors';
import { float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../../electron/api/tensor';
import { useResultsStore, type DiffusionRecord } from './inversionStore';
import { useJobsStore } from './jobsStore';
import { coalesce, PROGRESS_MS } from '../lib/coalesce';

export type Run = CallResult<'diffusion.sample'> & { args: CallArgs<'diffusion.sample'> };
export interface Branch {
  label: string;
  run: Run;
}
export interface SamplingSettings {
  model?: string;
  sampler: 'ddim' | 'ddpm';
  steps: number;
  eta: number;
  seed: number;
  batch: number;
  /** A conditional model's class (null: none, unconditional; undefined: not chosen, the model's first) and guidance scale (undefined: the model's default). */
  label?: number | null;
  guidance?: number;
}
export type DiffuseTab = 'forward' | 'reverse' | 'img2img';

interface DiffuseState {
  tab: DiffuseTab;
  settings: SamplingSettings;
  run?: Run;
  branches: Branch[];
  /** The scrubber's position in the run on screen. */
  position: number;
  branchSeed: number;
  branchEta: number;
  job?: { step: number; total: number; stop(): void; preview?: Uint8Tensor };
  error?: string;
  setTab(tab: DiffuseTab): void;
  setSettings(patch: Partial<SamplingSettings>): void;
  /** Another model: its class and guidance start from its own defaults, not the last model's. */
  chooseModel(model: string): void;
  set(patch: Partial<Pick<DiffuseState, 'position' | 'branchSeed' | 'branchEta'>>): void;
  /** classNames: the model's class names, for the run's label in the project. */
  generate(client: StudioClient, model: string, classNames?: string[]): Promise<void>;
  branch(client: StudioClient): Promise<void>;
  /** Samples a run saved in the project again (the same seed gives the same images), branch included. */
  replay(client: StudioClient, record: DiffusionRecord): Promise<void>;
  reset(): void;
}

const DEFAULT_SETTINGS: SamplingSettings = { sampler: 'ddim', steps: 50, eta: 0, seed: 0, batch: 4 };

const samplerOf = (args: CallArgs<'diffusion.sample'>): DiffusionRecord['sampler'] =>
  args.sampler.kind === 'ddim' ? { kind: 'ddim', eta: args.sampler.eta ?? 0 } : { kind: 'ddpm', variance: args.sampler.variance ?? 'posterior' };

/** Whether a run's previews are already its images at full size (small pixel models): then nothing needs decoding. */
export const previewIsFull = (run: Run) => run.xt.shape.slice(2).join() === run.final.shape.slice(1).join();

/** The index in ascending `positions` of the one nearest to `position` (the earlier of two as near). */
function nearestIndex(positions: readonly number[], position: number): number {
  let lo = 0;
  let hi = positions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (positions[mid]! < position) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && position - positions[lo - 1]! <= positions[lo]! - position ? lo - 1 : lo;
}

/**
 * The slot in run.xt of the kept preview nearest to a position (a long run keeps evenly spaced ones: see
 * `previews` in the contract); x̂₀'s preview there is run.x0's slot − 1.
 */
export const previewSlot = (run: Run, position: number): number => nearestIndex(run.previews, position);

/** The stored position nearest to a scrub position: only those keep the raw values a branch or a full decode needs. */
export const nearestStored = (run: Run, position: number): number => run.stored[nearestIndex(run.stored, position)]!;

/** The [batch, ...] model-space value of a run at a stored position: its x_t, or the x̂₀ shown there. */
export function rawAt(run: Run, position: number, which: 'xt' | 'x0' = 'xt'): Float32Tensor | undefined {
  const slot = run.stored.indexOf(position);
  if (slot < 0) return undefined;
  const tensor = which === 'xt' ? run.raw : run.rawX0;
  const b = run.args.batch;
  const size = tensor.data.length / tensor.shape[0]! / b;
  return float32Tensor([b, ...tensor.shape.slice(2)], tensor.data.slice(slot * b * size, (slot + 1) * b * size));
}

/**
 * Diffuse's settings, the run on screen with its branches and scrub position,
 * and the sampling job itself: none of it is lost when the user switches views.
 */
export const useDiffuseStore = create<DiffuseState>((set, get) => {
  async function sample(client: StudioClient, args: CallArgs<'diffusion.sample'>): Promise<Run | undefined> {
    const stop = new AbortController();
    const total = args.resume ? 0 : args.steps;
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'diffuse', label: 'Denoising', done: 0, total, stop: () => stop.abort() });
    set({ error: undefined, job: { step: 0, total, stop: () => stop.abort() } });
    // Small models report hundreds of steps a second: the view shows the latest step ten times a second.
    const progress = coalesce<CallProgress<'diffusion.sample'>>(PROGRESS_MS, (batch) => {
      const p = batch[batch.length - 1]!;
      jobs.update(jobId, p.step, p.total);
      set((s) => ({ job: s.job && { ...s.job, step: p.step, total: p.total, preview: p.xt } }));
    });
    try {
      const result = await client.invoke('diffusion.sample', args, { signal: stop.signal, onProgress: progress.push });
      return { ...result, args };
    } catch (e) {
      set({ error: e instanceof ApiError && e.code === 'cancelled' ? 'Sampling was cancelled.' : (e as Error).message });
    } finally {
      progress.flush();
      useJobsStore.getState().finish(jobId);
      set({ job: undefined });
    }
  }

  async function branchFrom(client: StudioClient, run: Run, position: number, seed: number, eta: number, record: boolean): Promise<void> {
    const state = rawAt(run, position);
    if (!state) return;
    const result = await sample(client, { ...run.args, seed, sampler: { kind: 'ddim', eta }, resume: { x: state, t: run.timesteps[position]! } });
    if (!result) return;
    const label = `from step ${position} · seed ${seed} · η ${eta}`;
    set((s) => ({ branches: [...s.branches, { label, run: result }] }));
    if (record)
      useResultsStore.getState().addDiffusion({
        label: `branch ${label}`,
        model: run.args.model,
        sampler: { kind: 'ddim', eta },
        steps: run.args.steps,
        seed,
        batch: run.args.batch,
        branchedAtStep: position,
        parent: { seed: run.args.seed, sampler: samplerOf(run.args) },
        classLabel: run.args.label,
        guidance: run.args.guidance,
      });
  }

  return {
    tab: 'reverse',
    settings: DEFAULT_SETTINGS,
    branches: [],
    position: 0,
    branchSeed: 1,
    branchEta: 1,
    setTab: (tab) => set({ tab }),
    setSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
    chooseModel: (model) => set((s) => ({ settings: { ...s.settings, model, label: undefined, guidance: undefined } })),
    set: (patch) => set(patch),
    generate: async (client, model, classNames) => {
      const { sampler, steps, eta, seed, batch, guidance } = get().settings;
      const label = get().settings.label ?? undefined;
      const args: CallArgs<'diffusion.sample'> = { model, sampler: sampler === 'ddim' ? { kind: 'ddim', eta } : { kind: 'ddpm', variance: 'posterior' }, steps, seed, batch, label, guidance: label === undefined ? undefined : guidance };
      const result = await sample(client, args);
      if (!result) return;
      const conditioned = label === undefined ? '' : ` · ${classNames?.[label] ?? `class ${label}`}${args.guidance === undefined ? '' : ` · guidance ${args.guidance}`}`;
      useResultsStore.getState().addDiffusion({ label: `${args.sampler.kind.toUpperCase()} ${args.steps} steps · seed ${args.seed}${conditioned}`, model, sampler: samplerOf(args), steps, seed, batch, classLabel: label, guidance: args.guidance });
      set({ run: result, branches: [], position: result.timesteps.length });
    },
    branch: async (client) => {
      const { run, position, branchSeed, branchEta } = get();
      if (!run) return;
      // Long runs keep raw values at some positions only: the branch starts at the nearest of them (the panel says which).
      const from = nearestStored(run, position);
      if (from >= run.timesteps.length) return;
      await branchFrom(client, run, from, branchSeed, branchEta, true);
    },
    replay: async (client, record) => {
      const root = record.branchedAtStep === undefined ? record : record.parent && { ...record, ...record.parent };
      if (!root) {
        set({ error: 'This branch was saved without the run it came from, so it cannot be sampled again.' });
        return;
      }
      const sampler = root.sampler.kind === 'ddim' ? ({ kind: 'ddim', eta: root.sampler.eta } as const) : ({ kind: 'ddpm', variance: root.sampler.variance } as const);
      const args: CallArgs<'diffusion.sample'> = { model: record.model, sampler, steps: record.steps, seed: root.seed, batch: record.batch, label: record.classLabel, guidance: record.guidance };
      // The fields show the run sampled again, its class (none included) and guidance too.
      set((s) => ({ settings: { ...s.settings, model: record.model, sampler: sampler.kind, steps: record.steps, seed: root.seed, batch: record.batch, eta: sampler.kind === 'ddim' ? sampler.eta : s.settings.eta, label: record.classLabel ?? null, guidance: record.guidance } }));
      const result = await sample(client, args);
      if (!result) return;
      set({ run: result, branches: [], position: record.branchedAtStep === undefined ? result.timesteps.length : result.previews[previewSlot(result, record.branchedAtStep)]! });
      if (record.branchedAtStep !== undefined && record.sampler.kind === 'ddim') {
        await branchFrom(client, result, nearestStored(result, record.branchedAtStep), record.seed, record.sampler.eta, false);
        set({ branchSeed: record.seed, branchEta: record.sampler.eta });
      }
    },
    reset: () => set({ tab: 'reverse', settings: DEFAULT_SETTINGS, run: undefined, branches: [], position: 0, branchSeed: 1, branchEta: 1, error: undefined }),
  };
});
