/**
 * When a direction slider was last moved, held or pointed at. Background decodes (the sweep strip and grid) wait for the
 * sliders to rest, so a drag's own decode does not queue behind them: at 256 px on a CPU one strip frame costs
 * as much as the drag's decode.
 */
let lastMoved = -Infinity;
let held = false;

/** A slider moved or the pointer moved over one (pressed: true when the pointer went down on it, false when it came up). */
export function noteSliderActivity(pressed?: boolean): void {
  lastMoved = performance.now();
  if (pressed !== undefined) held = pressed;
}

/** A press with no movement for this long counts as released, in case its pointerup never came. */
const HELD_AT_MOST_MS = 5000;

/** Resolves once no slider is held and none has moved (nor `since`, when given: a time from performance.now()) for `quietMs`. */
export async function slidersAtRest(quietMs = 300, since = -Infinity): Promise<void> {
  for (;;) {
    const now = performance.now();
    const wait = held && now - lastMoved < HELD_AT_MOST_MS ? quietMs : quietMs - (now - Math.max(lastMoved, since));
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, quietMs)));
  }
}
