import { existsSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { ApiError } from '../../api/errors';
import type { Project } from '../../api/project';
import { writeFileAtomic } from '../atomicWrite';
import { modelWarnings, stampModels, type Fingerprint } from './modelStamps';
import type { SettingsStore } from '../settings';
import { parseProject, serializeProject } from './projectFile';

export const PROJECT_EXTENSION = '.lsproj';
const RECENT_LIMIT = 10;

/** Saving, opening, recent projects, and the autosave that survives a crash. */
export class ProjectStore {
  private readonly autosavePath: string;

  constructor(
    configDir: string,
    private readonly settings: SettingsStore,
    private readonly appVersion: string,
    private readonly fingerprint: Fingerprint,
  ) {
    this.autosavePath = join(configDir, `autosave${PROJECT_EXTENSION}`);
  }

  async save(path: string, project: Project): Promise<{ path: string; savedAt: string }> {
    const target = resolve(extname(path) ? path : `${path}${PROJECT_EXTENSION}`);
    try {
      await writeFileAtomic(target, serializeProject(await stampModels(project, this.fingerprint), this.appVersion));
    } catch (error) {
      throw new ApiError('bad-input', `could not save ${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the folder does not exist' : (error as Error).message}`, 'args.path');
    }
    await this.remember(target);
    // A clean save supersedes the autosave.
    await unlink(this.autosavePath).catch(() => {});
    return { path: target, savedAt: new Date().toISOString() };
  }

  async open(path: string) {
    const target = resolve(path);
    let text: string;
    try {
      text = await readFile(target, 'utf8');
    } catch (error) {
      throw new ApiError('not-found', `could not open ${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'args.path');
    }
    const opened = parseProject(text, basename(target));
    await this.remember(target);
    return { ...opened, path: target, warnings: await modelWarnings(opened.project, this.fingerprint) };
  }

  recent(): { path: string; exists: boolean }[] {
    return this.settings.get().recentProjects.map((path) => ({ path, exists: existsSync(path) }));
  }

  async autosave(project: Project): Promise<{ savedAt: string }> {
    await writeFileAtomic(this.autosavePath, serializeProject(await stampModels(project, this.fingerprint), this.appVersion));
    return { savedAt: new Date().toISOString() };
  }

  /** The autosave left by a session that did not end with a save, if it can be read. */
  async recovery(): Promise<{ project?: Project; savedAt?: string; problem?: string; warnings?: string[] }> {
    if (!existsSync(this.autosavePath)) return {};
    try {
      const { project, savedAt } = parseProject(await readFile(this.autosavePath, 'utf8'), 'the autosave');
      return { project, savedAt, warnings: await modelWarnings(project, this.fingerprint) };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  }

  async discardRecovery(): Promise<void> {
    await unlink(this.autosavePath).catch(() => {});
  }

  private async remember(path: string): Promise<void> {
    const recent = [path, ...this.settings.get().recentProjects.filter((p) => p !== path)].slice(0, RECENT_LIMIT);
    await this.settings.update({ recentProjects: recent });
  }
}
