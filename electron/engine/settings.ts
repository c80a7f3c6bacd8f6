import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MIN_MEMORY_BUDGET_MB } from '../api/contract';
import { writeFileAtomic } from './atomicWrite';

/** What the app remembers across launches. */
export const SettingsSchema = z.object({
  userModelFolders: z.array(z.string()).default([]),
  /** Folders of images opened as datasets. */
  datasetFolders: z.array(z.string()).default([]),
  recentProjects: z.array(z.string()).default([]),
  provider: z.enum(['cuda', 'dml', 'cpu']).optional(),
  threads: z.int().min(1).max(64).optional(),
  memoryBudgetMb: z.int().min(MIN_MEMORY_BUDGET_MB).max(65536).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export class SettingsStore {
  private readonly path: string;
  private current: Settings;
  /** Why the stored settings could not be read, if they could not; defaults are used instead. */
  readonly problem?: string;

  constructor(configDir: string) {
    mkdirSync(configDir, { recursive: true });
    this.path = join(configDir, 'settings.json');
    let loaded: Settings = SettingsSchema.parse({});
    try {
      loaded = SettingsSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.problem = `settings.json was unreadable and is ignored: ${(error as Error).message}`;
    }
    this.current = loaded;
  }

  get(): Settings {
    return this.current;
  }

  async update(change: Partial<Settings>): Promise<Settings> {
    this.current = SettingsSchema.parse({ ...this.current, ...change });
    await writeFileAtomic(this.path, JSON.stringify(this.current, null, 2));
    return this.current;
  }
}
