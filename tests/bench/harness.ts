import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Timing statistics in milliseconds. */
export interface Stats {
  median: number;
  p10: number;
  p90: number;
  p95: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), p95: at(0.95), runs: sorted.length };
}

/** Runs `work` after a warm-up (`warmup` runs, and more until `warmupMs` have passed) until `minMs` have passed or `maxRuns` are done. */
export async function measure(work: () => Promise<unknown> | unknown, options: { warmup?: number; warmupMs?: number; minMs?: number; maxRuns?: number; minRuns?: number } = {}): Promise<Stats> {
  const { warmup = 5, warmupMs = 0, minMs = 1000, maxRuns = 200, minRuns = 5 } = options;
  const warmStart = performance.now();
  for (let i = 0; i < warmup || performance.now() - warmStart < warmupMs; i++) await work();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < minMs)) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

/**
 * Two pieces of work timed in turns, a then b, after a warm-up of each, so a drift in the machine's speed (another
 * process, the CPU's clock) falls on both alike: a ratio of two medians taken one after the other moved by ±0.1 from
 * run to run (DDIM-50's playback against its bare loop at 256 px read 1.10 and 1.32 at batch 1 and 4 in one full run,
 * 1.26 and 1.13 in the next).
 */
export async function measureInTurns(a: () => Promise<unknown>, b: () => Promise<unknown>, options: { warmup?: number; minMs?: number; maxRounds?: number; minRounds?: number } = {}): Promise<[Stats, Stats]> {
  const { warmup = 1, minMs = 4000, maxRounds = 20, minRounds = 7 } = options;
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const timesA: number[] = [];
  const timesB: number[] = [];
  const start = performance.now();
  while (timesA.length < maxRounds && (timesA.length < minRounds || performance.now() - start < minMs)) {
    for (const [work, times] of [[a, timesA], [b, timesB]] as const) {
      const t0 = performance.now();
      await work();
      times.push(performance.now() - t0);
    }
  }
  return [stats(timesA), stats(timesB)];
}

/** Resolves after `ms` milliseconds of Node's time. */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PARTS = join(process.cwd(), 'bench-results', 'parts');

/** Each perf file writes its own part; scripts/bench.mjs merges them into the report. */
export function writePart(name: string, data: unknown): void {
  mkdirSync(PARTS, { recursive: true });
  writeFileSync(join(PARTS, `${name}.json`), JSON.stringify(data, null, 1));
}

/** A process's resident set now and its peak (VmRSS, VmHWM from /proc), in MB. */
export function processMemory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}
