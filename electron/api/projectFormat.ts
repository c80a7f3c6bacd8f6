import type { Project } from './project';

/**
 * A project as it crosses the API: what the user made (imported images and
 * their codes, directions, the edit and its stack, inversions, diffusion
 * branches, the explorer's state). The engine writes it to disk as
 * project-file format 2 (see electron/engine/project/projectFile.ts).
 *
 * Format 2 added `models`: a fingerprint of each model's graphs when the
 * project was saved. A latent code means something only to the weights that
 * made it, so opening a project warns when a model has since changed.
 *
 * Format 3 keeps images (imported pictures, the edit's original, inversion
 * targets) as 8-bit planes: a quarter of float32's bytes, and exact for
 * pictures read from files. Two 1024 px samples made every autosave 26 MB
 * to send and 34 MB to write.
 */
export const PROJECT_FORMAT = 3;

export const emptyProject = (projectName = 'Untitled'): Project => ({
  format: PROJECT_FORMAT,
  name: projectName,
  models: {},
  explorer: { axes: [0, 1, 2], selection: [], hiddenClasses: [] },
  imported: [],
  keyframes: [],
  directions: [],
  inversions: [],
  diffusionBranches: [],
});
