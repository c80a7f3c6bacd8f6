import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_EXTENSION } from './projectFile';

/** How often a live session's lock is touched, and how old a lock may be before its owner counts as gone. */
export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 45_000;

/**
 * Each window or browser tab autosaves into a file of its own, named by a
 * session id it chose at start-up. A session is live while a connection of this
 * process claims it, or while another process (a second app instance sharing
 * the config folder) keeps its lock file fresh and is still running. Only
 * sessions whose owner is gone are offered for recovery, so one tab never
 * greets another's live work as a crash, nor deletes it.
 */
export class AutosaveSessions {
  readonly folder: string;
  /** session → the connection that claimed it, in this process. */
  private readonly owners = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(configDir: string) {
    this.folder = join(configDir, 'autosaves');
    mkdirSync(this.folder, { recursive: true });
    // The single autosave of earlier versions becomes one orphaned session.
    const legacy = join(configDir, `autosave${PROJECT_EXTENSION}`);
    if (existsSync(legacy)) renameSync(legacy, this.fileOf('previous-version'));
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref?.();
  }

  fileOf(session: string): string {
    return join(this.folder, `${session}${PROJECT_EXTENSION}`);
  }

  private lockOf(session: string): string {
    return join(this.folder, `${session}.lock`);
  }

  /** The connection `client` owns `session` from now until it disconnects. */
  claim(session: string, client: number): void {
    if (this.owners.get(session) === client) return;
    this.owners.set(session, client);
    writeFileSync(this.lockOf(session), JSON.stringify({ pid: process.pid }));
  }

  /** A connection closed: its sessions are no longer live, so their autosaves become recoverable. */
  release(client: number): void {
    for (const [session, owner] of this.owners) {
      if (owner !== client) continue;
      this.owners.delete(session);
      try {
        unlinkSync(this.lockOf(session));
      } catch {
        // Already gone.
      }
    }
  }

  isLive(session: string): boolean {
    if (this.owners.has(session)) return true;
    try {
      const lock = this.lockOf(session);
      const { pid } = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
      if (pid === process.pid) return false; // this process would hold it in `owners`
      if (Date.now() - statSync(lock).mtimeMs > STALE_MS) return false;
      process.kill(pid, 0);
      return true;
    } catch {
      return false; // no lock, unreadable lock, or its process has exited
    }
  }

  /** Sessions that left an autosave and whose owner is gone, newest first. */
  orphans(): string[] {
    return readdirSync(this.folder)
      .filter((f) => f.endsWith(PROJECT_EXTENSION) && !f.startsWith('.'))
      .map((f) => f.slice(0, -PROJECT_EXTENSION.length))
      .filter((session) => !this.isLive(session))
      .map((session) => ({ session, mtime: this.modifiedAt(session) }))
      .filter((entry): entry is { session: string; mtime: number } => entry.mtime !== undefined)
      .sort((a, b) => b.mtime - a.mtime)
      .map((entry) => entry.session);
  }

  /** Undefined when the autosave went away after the folder was listed (another tab or process removed it). */
  private modifiedAt(session: string): number | undefined {
    try {
      return statSync(this.fileOf(session)).mtimeMs;
    } catch {
      return undefined;
    }
  }

  remove(session: string): void {
    try {
      unlinkSync(this.fileOf(session));
    } catch {
      // Already gone.
    }
  }

  private heartbeat(): void {
    const now = new Date();
    for (const session of this.owners.keys()) {
      try {
        utimesSync(this.lockOf(session), now, now);
      } catch {
        writeFileSync(this.lockOf(session), JSON.stringify({ pid: process.pid }));
      }
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const client of new Set(this.owners.values())) this.release(client);
  }
}
