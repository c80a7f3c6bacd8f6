import { create } from 'zustand';
import type { CallArgs, CallProgress, CallResult } from '../../../electron/api/contract';
import type { StudioClient } from '../../../electron/api/client';
import { ApiError } from '../../../electron/api/errors';
import type { Float32Tensor } from '../../../electron/api/tensor';
import { useJobsStore } from './jobsStore';
import { coalesce, PROGRESS_MS } from '../lib/coalesce';

export type InversionResult = CallResult<'gan.invert'>;
/** What Invert shows as its result: a fresh inversion, or one saved in the project (fewer details). */
export type ShownInversion = Pick<InversionResult, 'z' | 'image' | 'psnr' | 'ssim' | 'curve'> & Partial<Omit<InversionResult, 'z' | 'image' | 'psnr' | 'ssim' | 'curve'>>;
export interface InversionSettings {
  steps: number;
  restarts: number;
  lr: number;
  prior: number;
  noise: number;
  warmStart: boolean;
  /** z, or a StyleGAN-style model's w or w+. */
  space: 'z' | 'w' | 'w+';
  /** λ of the perceptual term on a classifier's features (0: pixels alone). */
  perceptual: number;
}
export interface InversionTarget {
  tensor: Float32Tensor;
  label: string;
}
export interface Comparison {
  label: string;
  psnr: number;
  ssim: number;
  image: Float32Tensor;
}

export const DEFAULT_INVERSION_SETTINGS: InversionSettings = { steps: 300, restarts: 3, lr: 0.05, prior: 0, noise: 0.05, warmStart: true, space: 'z', perceptual: 0 };

interface InvertState {
  model?: string;
  target?: InversionTarget;
  settings: InversionSettings;
  job?: { step: number; total: number; stop(): void };
  curve: number[];
  /** The best reconstruction so far while a job runs. */
  live?: Float32Tensor;
  result?: ShownInversion;
  /** The model the result belongs to. */
  resultModel?: string;
  comparison?: Comparison[];
  error?: string;
  /** The id under which the result was saved to the project, once it was. */
  savedAs?: string;
  setModel(model: string): void;
  setTarget(target: InversionTarget): void;
  setSettings(patch: Partial<InversionSettings>): void;
  /**
   * hasStyle: the model has w and w+ (else the search is in z whatever the settings say);
   * classifier: the one whose features the perceptual term compares (none: pixels alone).
   */
  run(client: StudioClient, hasEncoder: boolean, hasStyle: boolean, classifier?: string): Promise<void>;
  compare(client: StudioClient, hasStyle: boolean, classifier?: string): Promise<void>;
  /** Shows a saved inversion (from the project) as the current result. */
  show(shown: { model: string; target: InversionTarget; result: ShownInversion; savedAs: string }): void;
  markSaved(id: string): void;
  reset(): void;
}

/**
 * Invert's whole state, and the job itself, live here rather than in the view:
 * switching views neither resets the target, settings and loss curve nor stops
 * a running inversion.
 */
export const useInvertStore = create<InvertState>((set, get) => {
  /** One gan.invert job; Stop ends it early and keeps its best code as the result. */
  async function invert(client: StudioClient, run: InversionSettings, classifier: string | undefined): Promise<InversionResult | undefined> {
    const { model, target } = get();
    if (!model || !target) return;
    const stop = new AbortController();
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'invert', label: 'Inverting', done: 0, total: run.steps, stop: () => stop.abort() });
    set({ error: undefined, curve: [], job: { step: 0, total: run.steps, stop: () => stop.abort() } });
    // Every step reports (hundreds a second for a small generator): the view takes them ten times a second.
    const progress = coalesce<CallProgress<'gan.invert'>>(PROGRESS_MS, (batch) => {
      const p = batch[batch.length - 1]!;
      const live = batch.findLast((b) => b.best)?.best;
      jobs.update(jobId, p.step, p.total);
      set((s) => ({ job: s.job && { ...s.job, step: p.step, total: p.total }, curve: [...s.curve, ...batch.map((b) => b.bestLoss)], live: live ?? s.live }));
    });
    try {
      const { perceptual, ...rest } = run;
      const settings = { ...rest, ...(perceptual > 0 && classifier ? { perceptual: { classifier, weight: perceptual } } : {}) };
      const args: CallArgs<'gan.invert'> = { model, image: target.tensor, settings };
      return await client.invoke('gan.invert', args, { stop: stop.signal, onProgress: progress.push });
    } catch (e) {
      set({ error: e instanceof ApiError && e.code === 'cancelled' ? 'Cancelled.' : (e as Error).message });
    } finally {
      progress.flush();
      useJobsStore.getState().finish(jobId);
      set({ job: undefined });
    }
  }

  return {
    settings: DEFAULT_INVERSION_SETTINGS,
    curve: [],
    setModel: (model) => set((s) => (s.model === model ? s : { model, result: undefined, live: undefined, comparison: undefined, curve: [], error: undefined, savedAs: undefined })),
    setTarget: (target) => set({ target, result: undefined, live: undefined, comparison: undefined, curve: [], error: undefined, savedAs: undefined }),
    setSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
    run: async (client, hasEncoder, hasStyle, classifier) => {
      set({ comparison: undefined, savedAs: undefined });
      const settings = get().settings;
      const r = await invert(client, { ...settings, warmStart: settings.warmStart && hasEncoder, space: hasStyle ? settings.space : 'z' }, classifier);
      if (r) set({ result: r, resultModel: get().model, curve: r.curve });
    },
    compare: async (client, hasStyle, classifier) => {
      set({ savedAs: undefined });
      const stored = get().settings;
      const settings = { ...stored, space: hasStyle ? stored.space : ('z' as const) };
      const warm = await invert(client, { ...settings, warmStart: true }, classifier);
      if (!warm || warm.cancelled) {
        if (warm) set({ result: warm, resultModel: get().model, curve: warm.curve });
        return;
      }
      const cold = await invert(client, { ...settings, warmStart: false }, classifier);
      if (!cold) return;
      set({
        result: warm,
        resultModel: get().model,
        curve: warm.curve,
        comparison: [
          ...(warm.encoderOnly ? [{ label: 'Encoder only', ...warm.encoderOnly }] : []),
          { label: cold.cancelled ? `Optimization only (stopped at step ${cold.steps})` : 'Optimization only', psnr: cold.psnr, ssim: cold.ssim, image: cold.image },
          { label: 'Encoder + optimization', psnr: warm.psnr, ssim: warm.ssim, image: warm.image },
        ],
      });
    },
    show: (shown) => set({ ...shown, resultModel: shown.model, live: undefined, comparison: undefined, curve: shown.result.curve, error: undefined }),
    markSaved: (id) => set({ savedAs: id }),
    reset: () => set({ model: undefined, target: undefined, settings: DEFAULT_INVERSION_SETTINGS, result: undefined, resultModel: undefined, live: undefined, comparison: undefined, curve: [], error: undefined, savedAs: undefined }),
  };
});
