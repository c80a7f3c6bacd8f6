import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A main-thread task of the page over 50 ms (PerformanceObserver 'longtask') and the view it fell in. */
export interface LongTask {
  ms: number;
  view: string;
}

/** Where the tests of one run append their long tasks, a JSON line per test that had any. */
export const longTasksFile = () => join('test-results', 'e2e-long-tasks.jsonl');

export function clearLongTasks(): void {
  rmSync(longTasksFile(), { force: true });
}

/** The run's long tasks in a few lines: how many, in how many tests, and the longest ones with their test and view. */
export function longTasksSummary(): string {
  if (!existsSync(longTasksFile())) return 'Long tasks (over 50 ms) in the pages of this run: none.';
  const rows = readFileSync(longTasksFile(), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { test: string; tasks: LongTask[] });
  const all = rows.flatMap((row) => row.tasks.map((task) => ({ ...task, test: row.test })));
  const worst = [...all].sort((a, b) => b.ms - a.ms).slice(0, 5);
  return [
    `Long tasks (over 50 ms) in the pages of this run: ${all.length} in ${rows.length} tests, ${all.filter((t) => t.ms > 100).length} over 100 ms. Longest:`,
    ...worst.map((t) => `  ${t.ms} ms in ${t.view}: ${t.test}`),
  ].join('\n');
}
