import { create } from 'zustand';
import type { Float32Tensor } from '../../../electron/api/tensor';
import type { CodeSpace } from '../lib/codeSpace';

/** A model's view of the dataset: its codes and their PCA. */
export interface Encoding {
  dim: number;
  codes: Float32Array;
  labels: number[];
  mean: Float32Array;
  /** Components kept (every one for small codes, the leading ones for large codes). */
  rank: number;
  /** rank × dim, one principal direction per row. */
  components: Float32Array;
  explained: number[];
  /** count × rank coordinates on the components. */
  coords: Float32Array;
}

/** An image the user brought in, encoded by a model. */
export interface ImportedCode {
  id: string;
  name: string;
  model: string;
  code: Float32Array;
  image: Float32Tensor;
  /** z when absent; a saved inversion of a StyleGAN-style model may be a w or w+ code. */
  space?: CodeSpace;
}

/** A keyframe for interpolation: a dataset image (of the bundled sample when `dataset` is absent) or an imported one. */
export type Keyframe = { kind: 'dataset'; index: number; dataset?: string } | { kind: 'imported'; id: string };

/** Encodings are kept per dataset and model. */
export const encodingKey = (dataset: string, model: string) => `${dataset}|${model}`;

interface LatentState {
  model?: string;
  /** The dataset the explorer shows; selection, neighbours and hidden classes refer to it. */
  dataset?: string;
  /** By encodingKey(dataset, model). */
  encodings: Record<string, Encoding>;
  axes: [number, number, number];
  hiddenClasses: number[];
  selection: number[];
  neighbors: number[];
  imported: ImportedCode[];
  keyframes: Keyframe[];
  /** The interpolation path's codes (frames × dim) and the model they belong to, drawn in the explorer. */
  path?: { model: string; codes: Float32Array };
  setModel(model: string): void;
  setDataset(dataset: string): void;
  setEncoding(key: string, encoding: Encoding): void;
  setAxis(slot: 0 | 1 | 2, component: number): void;
  toggleClass(label: number): void;
  /** Hides every label of `count` but one (null: shows all). */
  showOnly(label: number | null, count: number): void;
  select(index: number, add: boolean): void;
  clearSelection(): void;
  setNeighbors(indices: number[]): void;
  addImported(item: ImportedCode): void;
  setKeyframes(keyframes: Keyframe[]): void;
  setPath(path: LatentState['path']): void;
}

export const useLatentStore = create<LatentState>((set) => ({
  encodings: {},
  axes: [0, 1, 2],
  hiddenClasses: [],
  selection: [],
  neighbors: [],
  imported: [],
  keyframes: [],
  setModel: (model) => set((s) => (s.model === model ? s : { model, selection: [], neighbors: [], axes: [0, 1, 2], path: undefined })),
  setDataset: (dataset) => set((s) => (s.dataset === dataset ? s : { dataset, selection: [], neighbors: [], hiddenClasses: [], axes: [0, 1, 2], path: undefined })),
  setEncoding: (key, encoding) => set((s) => ({ encodings: { ...s.encodings, [key]: encoding } })),
  setAxis: (slot, component) =>
    set((s) => {
      const axes = [...s.axes] as [number, number, number];
      axes[slot] = component;
      return { axes };
    }),
  toggleClass: (label) => set((s) => ({ hiddenClasses: s.hiddenClasses.includes(label) ? s.hiddenClasses.filter((l) => l !== label) : [...s.hiddenClasses, label] })),
  showOnly: (label, count) => set(() => ({ hiddenClasses: label === null ? [] : Array.from({ length: count }, (_, i) => i).filter((i) => i !== label) })),
  select: (index, add) =>
    set((s) => ({
      selection: add ? (s.selection.includes(index) ? s.selection.filter((i) => i !== index) : [...s.selection, index]) : [index],
      neighbors: [],
    })),
  clearSelection: () => set({ selection: [], neighbors: [] }),
  setNeighbors: (neighbors) => set({ neighbors }),
  addImported: (item) => set((s) => ({ imported: [...s.imported, item] })),
  setKeyframes: (keyframes) => set({ keyframes }),
  setPath: (path) => set({ path }),
}));
