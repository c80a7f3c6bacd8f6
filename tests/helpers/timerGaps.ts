/**
 * The gaps between the ticks of a timer set to fire every `intervalMs` on this thread, until `stop()`: how long the
 * thread was held at a time while something ran (a gap near the interval: it was free).
 */
export function timerGaps(intervalMs: number): { stop(): number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return gaps;
    },
  };
}
