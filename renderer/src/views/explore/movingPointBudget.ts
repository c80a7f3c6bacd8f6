/** Fewer points than this would no longer show the cloud's shape while it turns. */
export const MIN_MOVING_POINTS = 5_000;
/** Where a first orbit starts before any frame was timed: software GL drew 20,000 points at about 30 fps. */
const FIRST_BUDGET = 20_000;
/** Moving frames slower than this (under 36 a second) thin the cloud; faster than FAST_MS (over 50) fill it again. */
const SLOW_MS = 1000 / 36;
const FAST_MS = 1000 / 50;
/** A gap this long means no frame was asked for (the mouse paused), not a slow frame. */
const IDLE_MS = 100;
/** Frames timed before each decision: a median over a few ignores one late frame. */
const WINDOW = 6;

/**
 * How many points the cloud draws while the camera moves, learned from the frames it draws. A frame's cost grows
 * with the points drawn, and how fast depends on the machine: a GPU draws 100,000 points at the display's rate, while
 * software GL on two cores drew 10,000 at 38 fps and 100,000 at 15. A fixed cap either thins the cloud on machines that
 * need not or leaves the orbit slow on those that must; this one shrinks while moving frames are slow and grows while
 * they are fast. A prefix of the cloud's shuffled draw order is a uniform sample, so any budget shows the same shape.
 * One per page: the budget a drag learned is where the next one, in any view, starts.
 */
export class MovingPointBudget {
  private budget = FIRST_BUDGET;
  private intervals: number[] = [];
  private last: number | undefined;
  /** What the latest moving frame drew (the benchmark reports it beside the frame rate). */
  lastPoints = 0;

  /** Points to draw of a cloud of `count` while moving. */
  points(count: number): number {
    return (this.lastPoints = Math.min(count, Math.max(MIN_MOVING_POINTS, this.budget)));
  }

  /** A drag began: frames before it say nothing about moving frames. */
  start(): void {
    this.last = undefined;
    this.intervals = [];
  }

  /** A frame drawn at `now` (ms) while moving a cloud of `count` points; true when the points to draw changed. */
  frame(now: number, count: number): boolean {
    const interval = this.last === undefined ? undefined : now - this.last;
    this.last = now;
    if (interval === undefined || interval > IDLE_MS) return false;
    this.intervals.push(interval);
    if (this.intervals.length < WINDOW) return false;
    const median = [...this.intervals].sort((a, b) => a - b)[WINDOW >> 1]!;
    this.intervals = [];
    const before = this.points(count);
    if (median > SLOW_MS) this.budget = Math.max(MIN_MOVING_POINTS, Math.round(before * Math.max(0.5, SLOW_MS / median) * 0.9));
    else if (median < FAST_MS && before < count) this.budget = Math.min(count, Math.round(before * 1.5));
    return this.points(count) !== before;
  }
}
