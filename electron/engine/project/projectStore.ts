import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { ApiError } from '../../api/errors';
import type { Project } from '../../api/project';
import { writeFileAtomic } from '../atomicWrite';
import { modelWarnings, stampModels, type Fingerprint } from './modelStamps';
import type { SettingsStore } from '../settings';
import { AutosaveSessions } from './autosaveSessions';
import { parseProject, PROJECT_EXTENSION, serializeProject } from './projectFile';

export { PROJECT_EXTENSION };

export interface Recovery {
  session: string;
  project?: Project;
  savedAt?: string;
  problem?: string;
  warnings?: string[];
}
const RECENT_LIMIT = 10;

/** Saving, opening, recent projects, and each window's autosave that survives a crash. */
export class ProjectStore {
  readonly sessions: AutosaveSessions;

  constructor(
    configDir: string,
    private readonly settings: SettingsStore,
    private readonly appVersion: string,
    private readonly fingerprint: Fingerprint,
  ) {
    this.sessions = new AutosaveSessions(configDir);
  }

  async save(path: string, project: Project, session?: string): Promise<{ path: string; savedAt: string }> {
    const target = resolve(extname(path) ? path : `${path}${PROJECT_EXTENSION}`);
    try {
      await writeFileAtomic(target, serializeProject(await stampModels(project, this.fingerprint), this.appVersion));
    } catch (error) {
      throw new ApiError('bad-input', `could not save ${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the folder does not exist' : (error as Error).message}`, 'args.path');
    }
    await this.remember(target);
    // A clean save supersedes this window's autosave, and only this window's.
    if (session) this.sessions.remove(session);
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

  async autosave(session: string, client: number, project: Project): Promise<{ savedAt: string }> {
    this.sessions.claim(session, client);
    await writeFileAtomic(this.sessions.fileOf(session), serializeProject(await stampModels(project, this.fingerprint), this.appVersion));
    return { savedAt: new Date().toISOString() };
  }

  /** Claims the caller's session and lists the autosaves of sessions that ended without a save. */
  async recovery(session: string, client: number): Promise<Recovery[]> {
    this.sessions.claim(session, client);
    const found: Recovery[] = [];
    for (const orphan of this.sessions.orphans()) {
      try {
        const { project, savedAt } = parseProject(await readFile(this.sessions.fileOf(orphan), 'utf8'), 'the autosave');
        found.push({ session: orphan, project, savedAt, warnings: await modelWarnings(project, this.fingerprint) });
      } catch (error) {
        found.push({ session: orphan, problem: (error as Error).message });
      }
    }
    return found;
  }

  /** Deletes an orphaned session's autosave; a live session's is never touched. */
  discardRecovery(session: string): void {
    if (this.sessions.isLive(session)) throw new ApiError('bad-request', 'that autosave belongs to a window that is still open', 'args.session');
    this.sessions.remove(session);
  }

  private async remember(path: string): Promise<void> {
    const recent = [path, ...this.settings.get().recentProjects.filter((p) => p !== path)].slice(0, RECENT_LIMIT);
    await this.settings.update({ recentProjects: recent });
  }
}
