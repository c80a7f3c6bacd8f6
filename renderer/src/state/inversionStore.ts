import { create } from 'zustand';
import type { Float32Tensor } from '../../../electron/api/tensor';

export interface SavedInversion {
  id: string;
  model: string;
  label: string;
  z: Float32Tensor;
  psnr: number;
  ssim: number;
  target: Float32Tensor;
  /** The code's space (z when absent). */
  space?: 'z' | 'w' | 'w+';
  curve?: number[];
  steps?: number;
  /** Stopped by the user: the code is the best found until then. */
  stopped?: boolean;
}

export interface DiffusionRecord {
  label: string;
  model: string;
  sampler: { kind: 'ddpm'; variance: 'posterior' | 'beta' } | { kind: 'ddim'; eta: number };
  steps: number;
  seed: number;
  batch: number;
  branchedAtStep?: number;
  /** For a branch: the seed and sampler of the run it branched from, so it can be sampled again. */
  parent?: { seed: number; sampler: DiffusionRecord['sampler'] };
  /** A conditional model's class and guidance scale. */
  classLabel?: number;
  guidance?: number;
}

/** Results worth keeping in the project: inverted codes and the diffusion runs and branches made. */
export const useResultsStore = create<{
  inversions: SavedInversion[];
  diffusion: DiffusionRecord[];
  addInversion(item: SavedInversion): void;
  addDiffusion(item: DiffusionRecord): void;
  replace(inversions: SavedInversion[], diffusion: DiffusionRecord[]): void;
}>((set) => ({
  inversions: [],
  diffusion: [],
  addInversion: (item) => set((s) => ({ inversions: [...s.inversions, item] })),
  addDiffusion: (item) => set((s) => ({ diffusion: [...s.diffusion, item] })),
  replace: (inversions, diffusion) => set({ inversions, diffusion }),
}));
