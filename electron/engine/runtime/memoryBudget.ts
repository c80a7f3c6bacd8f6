import type { MemoryReport as ReportedMemory } from '../../api/contract';

/** What the engine keeps in memory between calls, by what it costs to lose (the contract's kinds). */
export type MemoryKind = ReportedMemory['kinds'][number]['kind'];

export const MEMORY_KIND_LABELS: Record<MemoryKind, string> = {
  sessions: 'model sessions (weights and working memory)',
  codes: 'dataset codes',
  projections: 'projections and distances',
  previews: 'pictures decoded for display',
};

interface Entry {
  kind: MemoryKind;
  label: string;
  bytes: number;
  /** A counter, not a clock: the order of use is what matters, and ties cannot happen. */
  lastUsed: number;
  release: () => void;
  /** An entry in use (a session mid-run) is passed over by eviction. */
  busy?: () => boolean;
}

/** The contract's report, less what the process adds (its memory figures, what a freeing released). */
export type MemoryReport = Omit<ReportedMemory, 'process' | 'freedBytes'>;

/**
 * One budget for every cache the engine keeps (sessions, dataset codes, projections). When what is kept
 * exceeds the budget, the least recently used entries that are not in use are released until it fits;
 * each owner recomputes or reloads what it lost on its next use, so eviction costs time, never results.
 */
export class MemoryBudget {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;
  private evictions = 0;
  private used = 0;

  constructor(private budget: number) {}

  /** Keeps (or replaces) an entry as the most recently used one, then evicts others to fit the budget. */
  add(key: string, entry: Omit<Entry, 'lastUsed'>): void {
    this.remove(key);
    this.entries.set(key, { ...entry, lastUsed: ++this.clock });
    this.used += entry.bytes;
    this.fit(key);
  }

  /** An entry's owner found it holds more than it said (a session's arena grew): counted, then others evicted to fit. */
  grow(key: string, bytes: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.bytes += bytes;
    this.used += bytes;
    entry.lastUsed = ++this.clock;
    this.fit(key);
  }

  touch(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.lastUsed = ++this.clock;
  }

  /** The owner dropped the entry itself (a model removed, codes recomputed): forget it without releasing. */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  setBudget(bytes: number): void {
    this.budget = bytes;
    this.fit();
  }

  /** Releases every entry not in use now; returns how many bytes that freed. */
  releaseIdle(): number {
    let freed = 0;
    for (const [key, entry] of [...this.entries]) {
      if (entry.busy?.()) continue;
      freed += entry.bytes;
      this.remove(key);
      entry.release();
    }
    return freed;
  }

  report(largest = 8): MemoryReport {
    const kinds = new Map<MemoryKind, { bytes: number; entries: number }>();
    for (const entry of this.entries.values()) {
      const sum = kinds.get(entry.kind) ?? { bytes: 0, entries: 0 };
      sum.bytes += entry.bytes;
      sum.entries++;
      kinds.set(entry.kind, sum);
    }
    return {
      budgetBytes: this.budget,
      usedBytes: this.used,
      kinds: (Object.keys(MEMORY_KIND_LABELS) as MemoryKind[]).map((kind) => ({ kind, label: MEMORY_KIND_LABELS[kind], bytes: 0, entries: 0, ...kinds.get(kind) })),
      largest: [...this.entries.values()]
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, largest)
        .map(({ kind, label, bytes }) => ({ kind, label, bytes })),
      evictions: this.evictions,
    };
  }

  /**
   * Evicts least recently used idle entries until what is kept fits the budget (cheap when it already fits,
   * so owners call it when an entry stops being busy). `keep`, the entry just added, is needed now and stays
   * even when it alone is over the budget.
   */
  fit(keep?: string): void {
    if (this.used <= this.budget) return;
    const order = [...this.entries].filter(([key, entry]) => key !== keep && !entry.busy?.()).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, entry] of order) {
      if (this.used <= this.budget) return;
      // An entry's release may have taken another with it (a session's background copy).
      if (this.entries.get(key) !== entry) continue;
      this.evict(key, entry);
    }
  }

  private evict(key: string, entry: Entry): void {
    this.remove(key);
    this.evictions++;
    entry.release();
  }
}

/**
 * A default budget for what the engine keeps: half the machine's memory, between 512 MiB and 8 GiB. It counts the
 * sessions' working memory (their runs' activations), which a model needs whenever it runs: a 1024 px VAE's encoder and
 * decoder hold 4.7 GB together, so a smaller budget would have them evict each other and reload (seconds) at every use.
 */
export function defaultMemoryBudget(totalBytes: number): number {
  const MiB = 1024 * 1024;
  return Math.min(8192 * MiB, Math.max(512 * MiB, Math.floor(totalBytes / 2 / MiB) * MiB));
}
