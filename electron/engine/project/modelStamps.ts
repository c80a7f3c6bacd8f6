import type { Project } from '../../api/project';

/** A model's current fingerprint, or undefined when it is not installed. */
export type Fingerprint = (model: string) => Promise<string | undefined>;

/** Every model the project's codes, directions and results belong to. */
export function modelsUsed(project: Project): string[] {
  const ids = [
    project.explorer.model,
    ...project.imported.map((i) => i.model),
    ...project.directions.map((d) => d.model),
    project.edit?.base.model,
    ...project.inversions.map((i) => i.model),
    ...project.diffusionBranches.map((b) => b.model),
  ];
  return [...new Set(ids.filter((id): id is string => id !== undefined))].sort();
}

/**
 * Records the fingerprint of every installed model the project uses. A model
 * that is not installed keeps the stamp it was opened with, so saving on a
 * machine without it loses nothing.
 */
export async function stampModels(project: Project, fingerprint: Fingerprint): Promise<Project> {
  const models: Project['models'] = {};
  for (const id of modelsUsed(project)) {
    const sha256 = (await fingerprint(id)) ?? project.models[id]?.sha256;
    if (sha256) models[id] = { sha256 };
  }
  return { ...project, models };
}

/** What a person should know before trusting an opened project's codes. */
export async function modelWarnings(project: Project, fingerprint: Fingerprint): Promise<string[]> {
  const warnings: string[] = [];
  for (const id of modelsUsed(project)) {
    const now = await fingerprint(id);
    if (now === undefined) warnings.push(`Model "${id}" is not installed: its parts of the project are kept but cannot be shown until it is added.`);
    else if (project.models[id] && project.models[id].sha256 !== now) {
      warnings.push(`Model "${id}" has changed since this project was saved: its codes may decode to different images.`);
    }
  }
  return warnings;
}
