/**
 * Requests for pictures a person is looking at (a model card's sample grid), counted while they are on their way, so
 * work nobody waits for can go after them. At start-up the Models view loaded every model, one after another, beside the
 * first two sample grids: the engine's one runtime thread made the first model's sessions between the grids' own, and
 * the first picture of a cold start waited for them.
 */
export class PictureWork {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  /** Counts `request` until it settles; returns it. */
  track<T>(request: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    request.then(done, done);
    return request;
  }

  /** Resolves once no tracked request is on its way (at once when none is). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The page's one count: every sample grid's requests. */
export const pictureWork = new PictureWork();
