/** How often a job's progress is drawn: ten times a second reads as live, and leaves the cores to the job. */
export const PROGRESS_MS = 100;

/**
 * Gathers a stream of reports and hands them on in batches, at most one batch every `ms` (the first report at
 * once): a job that reports hundreds of steps a second would otherwise render the view and draw a frame for each,
 * and those frames take the CPU the job runs on (a 300-step inversion: 0.6 s over the socket alone, 3.3 s from
 * the page). `flush` hands on what is waiting now, as when the job ends.
 */
export function coalesce<T>(ms: number, deliver: (batch: T[]) => void): { push(item: T): void; flush(): void } {
  let last = -Infinity;
  let waiting: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0) return;
    last = performance.now();
    const batch = waiting;
    waiting = [];
    deliver(batch);
  };
  return {
    push(item) {
      waiting.push(item);
      if (timer !== undefined) return;
      const wait = last + ms - performance.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    flush,
  };
}
