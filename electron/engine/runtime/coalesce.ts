import { ApiError } from '../../api/errors';

interface Waiting {
  work: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Requests that supersede each other (a slider drag, a cursor move) share a
 * lane: at most one runs at a time, and of those that arrive meanwhile only
 * the newest waits; the ones it replaces are answered "superseded" without
 * ever running.
 */
export class LatestWins {
  private readonly lanes = new Map<string, { running: boolean; waiting?: Waiting }>();
  /** How many requests actually ran, for tests and benchmarks. */
  runs = 0;

  /** `work` on the client's lane where a request names one (lanes are per client: one window never supersedes another's), else at once. */
  onLane<T>(client: number, lane: string | undefined, work: () => Promise<T>): Promise<T> {
    return lane ? this.run(`${client}:${lane}`, work) : work();
  }

  run<T>(lane: string, work: () => Promise<T>): Promise<T> {
    let state = this.lanes.get(lane);
    if (!state) this.lanes.set(lane, (state = { running: false }));
    if (!state.running) return this.start(lane, state, work);
    return new Promise<T>((resolve, reject) => {
      state.waiting?.reject(new ApiError('superseded', 'a newer request on the same lane replaced this one'));
      state.waiting = { work, resolve: resolve as (v: unknown) => void, reject };
    });
  }

  private async start<T>(lane: string, state: { running: boolean; waiting?: Waiting }, work: () => Promise<T>): Promise<T> {
    state.running = true;
    this.runs++;
    try {
      return await work();
    } finally {
      state.running = false;
      const next = state.waiting;
      state.waiting = undefined;
      if (next) this.start(lane, state, next.work).then(next.resolve, next.reject);
      else this.lanes.delete(lane);
    }
  }
}
