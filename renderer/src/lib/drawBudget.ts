import { postTask } from './nextTask';

/**
 * Canvas draws within a time budget per task of the page's main thread. A strip of 64 frames at 256 px mounts 64
 * tiles in one React commit, and drawing each (bytes to RGBA, putImageData) in its layout effect made one task of
 * 75-120 ms. Draws run at once while the task's budget lasts, so a single image still shows in the frame of its
 * commit; the rest run in the tasks after, a budget each, in order. The canvas keeps its old picture until then.
 */
export class DrawBudget {
  private spent = 0;
  private resetPosted = false;
  private readonly queue: { draw: () => void; cancelled: boolean }[] = [];
  private drainPosted = false;

  constructor(
    private readonly budgetMs = 12,
    private readonly now: () => number = () => performance.now(),
    /** Runs `task` in a later task of the event loop. */
    private readonly post: (task: () => void) => void = postTask,
  ) {}

  /** Draws now if this task's budget allows, otherwise later; the returned function cancels a draw not yet made. */
  draw(draw: () => void): () => void {
    if (this.queue.length === 0 && this.spent < this.budgetMs) {
      this.run(draw);
      return () => {};
    }
    const entry = { draw, cancelled: false };
    this.queue.push(entry);
    this.postDrain();
    return () => {
      entry.cancelled = true;
    };
  }

  private run(draw: () => void): void {
    const start = this.now();
    try {
      draw();
    } finally {
      this.spent += this.now() - start;
      if (!this.resetPosted) {
        this.resetPosted = true;
        this.post(() => {
          this.resetPosted = false;
          this.spent = 0;
        });
      }
    }
  }

  private postDrain(): void {
    if (this.drainPosted) return;
    this.drainPosted = true;
    this.post(() => {
      this.drainPosted = false;
      this.spent = 0;
      while (this.queue.length > 0 && this.spent < this.budgetMs) {
        const entry = this.queue.shift()!;
        if (!entry.cancelled) this.run(entry.draw);
      }
      if (this.queue.length > 0) this.postDrain();
    });
  }
}

/** The page's one budget: every tile draws through it, so tiles of several views mounting at once share it. */
export const canvasDraws = new DrawBudget();
