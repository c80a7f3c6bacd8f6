import { create } from 'zustand';
import type { Float32Tensor } from '../../../electron/api/tensor';
import { commit, emptyHistory, redo, undo, type EditHistory } from '../../../electron/common/editHistory';
import type { Edit } from '../../../electron/common/vectors';
import type { CodeSpace } from '../lib/codeSpace';

export type DirectionKind = 'mean-difference' | 'boundary' | 'gradient' | 'principal' | 'orthogonal' | 'imported';

export interface Direction {
  /** Unique per model; edits refer to directions by name. */
  name: string;
  model: string;
  kind: DirectionKind;
  note: string;
  vector: Float32Array;
  /** The space of the codes it moves (z when absent). */
  space?: CodeSpace;
}

export interface EditBase {
  model: string;
  code: Float32Array;
  /** Where the code came from, in words ("dataset #12 · Sneaker"). */
  label: string;
  /** The original image, where there is one. */
  image?: Float32Tensor;
  /** z when absent; a StyleGAN-style model's codes may be edited in w or w+. */
  space?: CodeSpace;
}

interface EditState {
  directions: Direction[];
  base?: EditBase;
  history: EditHistory;
  range: number;
  addDirection(direction: Direction): string;
  removeDirection(model: string, name: string): void;
  setBase(base: EditBase, stack?: Edit[]): void;
  commit(stack: Edit[]): void;
  undo(): void;
  redo(): void;
  setRange(range: number): void;
}

/** A name not yet used by the model's directions ("boot", "boot 2", …). */
export function uniqueName(directions: readonly Direction[], model: string, name: string): string {
  const taken = new Set(directions.filter((d) => d.model === model).map((d) => d.name));
  if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`${name} ${n}`)) n++;
  return `${name} ${n}`;
}

export const useEditStore = create<EditState>((set, get) => ({
  directions: [],
  history: emptyHistory(),
  range: 4,
  addDirection: (direction) => {
    const name = uniqueName(get().directions, direction.model, direction.name);
    set((s) => ({ directions: [...s.directions, { ...direction, name }] }));
    return name;
  },
  removeDirection: (model, name) =>
    set((s) => ({
      directions: s.directions.filter((d) => !(d.model === model && d.name === name)),
      history: s.base?.model === model ? commit(s.history, s.history.present.filter((e) => e.direction !== name)) : s.history,
    })),
  setBase: (base, stack = []) => set({ base, history: emptyHistory(stack) }),
  commit: (stack) => set((s) => ({ history: commit(s.history, stack) })),
  undo: () => set((s) => ({ history: undo(s.history) })),
  redo: () => set((s) => ({ history: redo(s.history) })),
  setRange: (range) => set({ range }),
}));
