/**
 * Which slider amounts to decode ahead around the thumb, where the whole grid is too dear to decode (sweepPlan: 'strip').
 * A nudge (an arrow key, a small drag) then paints a frame already on the page instead of waiting for a decode.
 * Grid indices are positions on the slider's grid (sweepAmounts); the budget caps the frames held, whatever their size.
 */

/** Steps each side of the thumb decoded ahead: ±0.5 at the slider's 0.05 steps. */
export const NEAR_RADIUS = 10;
/** The most bytes of frames held around the thumb: 20 frames at 512 px, 5 at 1024 px. */
export const NEAR_BUDGET_BYTES = 16 * 1024 * 1024;

/** How many frames fit the budget, never more than the radius covers. */
export function nearCapacity(bytesPerFrame: number, radius = NEAR_RADIUS): number {
  return Math.max(0, Math.min(2 * radius, Math.floor(NEAR_BUDGET_BYTES / Math.max(bytesPerFrame, 1))));
}

/** Grid positions within `radius` of `centre`, nearest first; at equal distance the side the thumb last moved towards first. */
export function nearOrder(centre: number, gridLength: number, lean: 1 | -1 = 1, radius = NEAR_RADIUS): number[] {
  const order: number[] = [];
  for (let d = 1; d <= radius; d++)
    for (const k of [centre + lean * d, centre - lean * d]) if (k >= 0 && k < gridLength) order.push(k);
  return order;
}

/** The next position to decode: the nearest not held among the `capacity` nearest, or undefined when those are all held. */
export function nextNear(centre: number, held: ReadonlySet<number> | ReadonlyMap<number, unknown>, capacity: number, gridLength: number, lean: 1 | -1 = 1): number | undefined {
  return nearOrder(centre, gridLength, lean)
    .slice(0, capacity)
    .find((k) => !held.has(k));
}

/** Held positions to drop so that at most `capacity` stay: the farthest from the thumb first. */
export function farthestBeyond(centre: number, held: Iterable<number>, capacity: number): number[] {
  const all = [...held];
  return all.sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre)).slice(0, Math.max(0, all.length - capacity));
}
