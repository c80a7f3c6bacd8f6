import { create } from 'zustand';
import type { Project } from '../../../electron/api/project';
import { emptyProject, PROJECT_FORMAT } from '../../../electron/api/projectFormat';
import { clampedUnitBytes, float32Tensor, unitTensor, type Float32Tensor, type Uint8Tensor } from '../../../electron/api/tensor';
import { restoredHistory } from '../../../electron/common/editHistory';
import { useDiffuseStore } from './diffuseStore';
import { useInvertStore } from './invertStore';
import { resetViewState } from './viewState';
import { useEditStore } from './editStore';
import { useResultsStore } from './inversionStore';
import { useLatentStore } from './latentStore';

const vector = (data: Float32Array) => float32Tensor([data.length], data);

/**
 * Images in [0, 1] as the project keeps them: 8-bit planes, a quarter of float32's bytes to send at every autosave
 * (exact for pictures read from files, which are k / 255; within half a level for decoded samples). Made once per
 * image: the same pictures go out with every autosave.
 */
const savedBytes = new WeakMap<Float32Tensor, Uint8Tensor>();
export function projectImage(image: Float32Tensor): Uint8Tensor {
  let bytes = savedBytes.get(image);
  if (!bytes) {
    bytes = { dtype: 'uint8', shape: [...image.shape], data: clampedUnitBytes(image.data) };
    savedBytes.set(image, bytes);
  }
  return bytes;
}

/** A project's image as the stores keep it, floats in [0, 1] (format 2 kept floats already). */
const storedImage = (image: Float32Tensor | Uint8Tensor): Float32Tensor => (image.dtype === 'uint8' ? unitTensor(image) : image);

/**
 * This window's (or tab's) autosave session, new on every load: each window
 * autosaves into its own file, and the engine offers a session's work for
 * recovery only once its window is gone.
 */
export const SESSION_ID: string = (() => {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `w-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
})();

/** The user's work, gathered from the stores into one project. */
export function snapshotProject(name: string): Project {
  const latent = useLatentStore.getState();
  const edit = useEditStore.getState();
  const results = useResultsStore.getState();
  return {
    format: PROJECT_FORMAT,
    name,
    // Stamps carried from the opened file; the engine refreshes those of installed models on save.
    models: useProjectStore.getState().models,
    explorer: { model: latent.model, axes: latent.axes, selection: latent.selection, hiddenClasses: latent.hiddenClasses },
    imported: latent.imported.map((i) => ({ id: i.id, name: i.name, model: i.model, code: vector(i.code), image: projectImage(i.image), ...(i.space && i.space !== 'z' ? { space: i.space } : {}) })),
    keyframes: latent.keyframes,
    directions: edit.directions.map((d) => ({ name: d.name, model: d.model, kind: d.kind, note: d.note, vector: vector(d.vector), ...(d.space && d.space !== 'z' ? { space: d.space } : {}) })),
    edit: edit.base && {
      base: { model: edit.base.model, code: vector(edit.base.code), label: edit.base.label, ...(edit.base.image ? { image: projectImage(edit.base.image) } : {}), ...(edit.base.space && edit.base.space !== 'z' ? { space: edit.base.space } : {}) },
      stack: edit.history.present,
      past: edit.history.past,
      future: edit.history.future,
    },
    inversions: results.inversions.map((i) => ({ ...i, target: projectImage(i.target) })),
    diffusionBranches: results.diffusion,
  };
}

/** Puts a project's content back into the stores. */
export function applyProject(project: Project): void {
  useLatentStore.setState({
    model: project.explorer.model,
    axes: project.explorer.axes,
    selection: project.explorer.selection,
    hiddenClasses: project.explorer.hiddenClasses,
    neighbors: [],
    imported: project.imported.map((i) => ({ id: i.id, name: i.name, model: i.model, code: i.code.data, image: storedImage(i.image), space: i.space })),
    keyframes: project.keyframes,
    path: undefined,
  });
  useEditStore.setState({
    directions: project.directions.map((d) => ({ name: d.name, model: d.model, kind: d.kind, note: d.note, vector: d.vector.data, space: d.space })),
    base: project.edit && { model: project.edit.base.model, code: project.edit.base.code.data, label: project.edit.base.label, image: project.edit.base.image && storedImage(project.edit.base.image), space: project.edit.base.space },
    history: restoredHistory(project.edit?.stack ?? [], project.edit?.past, project.edit?.future),
  });
  // What Invert and Diffuse show belongs to the previous project; the new one's saved pieces are listed there.
  useInvertStore.getState().reset();
  useDiffuseStore.getState().reset();
  resetViewState();
  useResultsStore.getState().replace(
    project.inversions.map((i) => ({ ...i, target: storedImage(i.target) })),
    project.diffusionBranches,
  );
  useProjectStore.getState().set({ models: project.models, opened: useProjectStore.getState().opened + 1 });
}

interface ProjectState {
  name: string;
  path?: string;
  dirty: boolean;
  savedAt?: string;
  autosavedAt?: string;
  /** The opened project's model fingerprints. */
  models: Project['models'];
  /** Counts projects put into the stores, so views can drop what they said about the previous one. */
  opened: number;
  set(patch: Partial<Omit<ProjectState, 'set'>>): void;
}

export const useProjectStore = create<ProjectState>((set) => ({
  name: 'Untitled',
  dirty: false,
  models: {},
  opened: 0,
  set: (patch) => set(patch),
}));

/** Any change to the user's work marks the project dirty; returns the unsubscribe. */
export function trackChanges(onChange: () => void): () => void {
  const unsubscribers = [useLatentStore, useEditStore, useResultsStore].map((store) =>
    (store as { subscribe(listener: (state: unknown, previous: unknown) => void): () => void }).subscribe((state, previous) => {
      if (meaningfulChange(state as Record<string, unknown>, previous as Record<string, unknown>)) onChange();
    }),
  );
  return () => unsubscribers.forEach((u) => u());
}

/** Hover and encodings are not the user's work; the rest is. */
const TRANSIENT = new Set(['encodings', 'neighbors', 'path']);
/**
 * Choices a view makes for itself when it first opens (the explorer's model and dataset): set from nothing, they
 * are a default, not the user's work; a later change is the user's.
 */
const DEFAULTED = new Set(['model', 'dataset']);

/** Whether a store change is the user's work: opening a view, or a store writing an equal list again, is not. */
export function meaningfulChange(state: Record<string, unknown>, previous: Record<string, unknown>): boolean {
  return Object.keys(state).some((key) => {
    const now = state[key];
    const before = previous[key];
    if (TRANSIENT.has(key) || typeof now === 'function' || now === before) return false;
    if (DEFAULTED.has(key) && before === undefined) return false;
    return !(Array.isArray(now) && Array.isArray(before) && now.length === before.length && now.every((v, i) => v === before[i]));
  });
}

export { emptyProject };
