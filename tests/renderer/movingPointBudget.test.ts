import { describe, expect, it } from 'vitest';
import { MIN_MOVING_POINTS, MovingPointBudget } from '../../renderer/src/views/explore/movingPointBudget';

/**
 * Drives one drag: each frame costs `msFor(points drawn)`, as drawing does (a fixed part and a part per point).
 * Returns the points drawn at the end.
 */
function orbit(budget: MovingPointBudget, count: number, frames: number, msFor: (points: number) => number): number {
  budget.start();
  let now = 0;
  let points = budget.points(count);
  for (let i = 0; i < frames; i++) {
    now += msFor(points);
    if (budget.frame(now, count)) points = budget.points(count);
  }
  return points;
}

/** Software GL on two cores, as measured: about 21 ms a frame plus 0.5 ms per 1,000 points. */
const softwareGl = (points: number) => 21 + points / 2000;
/** A GPU: every frame at the display's 60 Hz, whatever the count. */
const gpu = () => 1000 / 60;

describe('MovingPointBudget', () => {
  it('thins a 100,000-point cloud until frames are drawn at over 30 a second where drawing is slow', () => {
    const budget = new MovingPointBudget();
    const points = orbit(budget, 100_000, 120, softwareGl);
    expect(points).toBeGreaterThanOrEqual(MIN_MOVING_POINTS);
    expect(points).toBeLessThan(20_000);
    expect(1000 / softwareGl(points)).toBeGreaterThan(30);
    // The next drag starts where this one ended, not at the first guess.
    budget.start();
    expect(budget.points(100_000)).toBe(points);
  });

  it('draws the whole cloud while moving where frames keep the display rate', () => {
    const budget = new MovingPointBudget();
    expect(budget.points(100_000)).toBeLessThan(100_000);
    expect(orbit(budget, 100_000, 120, gpu)).toBe(100_000);
  });

  it('never draws fewer than the floor, nor more than the cloud', () => {
    const budget = new MovingPointBudget();
    expect(orbit(budget, 100_000, 200, () => 80)).toBe(MIN_MOVING_POINTS);
    expect(budget.points(3_000)).toBe(3_000);
  });

  it('reads a pause in the mouse as no frame asked for, not as a slow frame', () => {
    const budget = new MovingPointBudget();
    const before = budget.points(100_000);
    budget.start();
    let now = 0;
    for (let i = 0; i < 30; i++) {
      // Frames at 40 ms apart would thin the cloud; 500 ms gaps (nothing moving) must not.
      now += 500;
      expect(budget.frame(now, 100_000)).toBe(false);
    }
    expect(budget.points(100_000)).toBe(before);
  });

  it('ignores one late frame among fast ones', () => {
    const budget = new MovingPointBudget();
    budget.start();
    const before = budget.points(100_000);
    let now = 0;
    for (let i = 0; i < 6; i++) {
      now += i === 3 ? 90 : 25;
      budget.frame(now, 100_000);
    }
    expect(budget.points(100_000)).toBe(before);
  });
});
