import { describe, expect, it } from 'vitest';
import { PictureWork } from '../../renderer/src/lib/pictureWork';

/** A promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settledWithin = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

describe('pictures on screen before work nobody waits for', () => {
  it('idle resolves at once with no picture on its way, and only after every tracked request settles otherwise, failed ones too', async () => {
    const work = new PictureWork();
    expect(await settledWithin(work.idle())).toBe(true);
    const grids = [deferred(), deferred()];
    for (const g of grids) void work.track(g.promise).catch(() => {});
    const idle = work.idle();
    expect(await settledWithin(idle)).toBe(false);
    grids[0]!.resolve();
    expect(await settledWithin(idle)).toBe(false);
    grids[1]!.reject(new Error('cancelled'));
    expect(await settledWithin(idle)).toBe(true);
    expect(await settledWithin(work.idle())).toBe(true);
  });

  it('hands back the request it tracks, its value or its error unchanged', async () => {
    const work = new PictureWork();
    expect(await work.track(Promise.resolve(7))).toBe(7);
    await expect(work.track(Promise.reject(new Error('no model')))).rejects.toThrow('no model');
    expect(await settledWithin(work.idle())).toBe(true);
  });
});
