import type { Page } from '@playwright/test';
import { stats, type Stats } from './harness';

export interface ExplorerFigures {
  /** Frames the scene drew per second while the camera orbited. */
  fps: number;
  frames: number;
  /** The page's animation frames per second over the same time. */
  displayFps: number;
  /** Frames drawn a second while the camera turns every frame (no mouse): what the scene can draw while orbiting. */
  spinFps: number;
  /** Points the cloud drew while the camera moved, at the orbit's end (the cloud thins to hold the frame rate). */
  movingPoints: number;
  pick: Stats;
}

/**
 * On an explorer page opened with `&bench=1` whose points are on screen: the frame rate while the
 * mouse orbits the camera for 3 s (frames the scene drew over the span of the page's animation frames), then 100 raycast picks around
 * the centre of the canvas, each timed by the thread that draws the scene (window.__latentBench.pickMs).
 */
export async function orbitAndPick(page: Page, settleMs = 1000): Promise<ExplorerFigures> {
  const canvas = page.getByTestId('explorer-canvas').locator('canvas');
  const box = (await canvas.boundingBox())!;
  await page.waitForTimeout(settleMs);
  // Each call is answered by the worker that draws the scene (or by the page, where it draws it), hence promises.
  type Bench = { framesDrawn(): Promise<number>; movingPoints(): Promise<number>; pickMs(x: number, y: number): Promise<{ ms: number; hits: number }>; spin(ms: number): Promise<number> };
  const drawn = () => page.evaluate(() => (window as unknown as { __latentBench: Bench }).__latentBench.framesDrawn());
  const drawnBefore = await drawn();
  // The page's animation frames during the orbit, in a loop that ends when its array is taken (a second orbit on the
  // same page must not count the first one's loop too).
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[] };
    const frames: number[] = [];
    w.__frames = frames;
    const tick = (t: number) => {
      if (w.__frames !== frames) return;
      frames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = Date.now();
  for (let i = 0; Date.now() - start < 3000; i++) await page.mouse.move(cx + Math.cos(i / 10) * 150, cy + Math.sin(i / 10) * 80);
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[] };
    const taken = w.__frames;
    w.__frames = [];
    return taken;
  });
  const drawnDuring = (await drawn()) - drawnBefore;
  const movingPoints = await page.evaluate(() => (window as unknown as { __latentBench: Bench }).__latentBench.movingPoints());
  await page.mouse.up();
  const span = frames.at(-1)! - frames[0]!;
  const picks = await page.evaluate(
    async ({ w, h }) => {
      const bench = (window as unknown as { __latentBench: Bench }).__latentBench;
      const out: number[] = [];
      for (let i = 0; i < 100; i++) out.push((await bench.pickMs(w / 2 + Math.cos(i) * 100, h / 2 + Math.sin(i) * 100)).ms);
      return out;
    },
    { w: box.width, h: box.height },
  );
  const spinFps = await page.evaluate(() => (window as unknown as { __latentBench: Bench }).__latentBench.spin(3000));
  // The scene is drawn on demand, so the frames it drew while the camera moved are the rate; the page's animation frames
  // (which go on at the display's rate when nothing is drawn) are kept beside it.
  return { fps: (drawnDuring * 1000) / span, frames: drawnDuring, displayFps: ((frames.length - 1) * 1000) / span, spinFps, movingPoints, pick: stats(picks) };
}

/** The Chromium the benchmarks drive: Debian's, WebGL through SwiftShader. */
export const CHROMIUM_OPTIONS = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};
