/**
 * Whether a pointer is pressed anywhere in this window: a drag in progress (a slider, the explorer's orbit, a scrubber).
 * Work that can wait, such as an autosave, waits for the gesture to end: at 512 px an autosave sent 3 MB mid-drag and the
 * engine read and wrote it while the drag's decode waited, its frame 150 ms late.
 */
const pressed = new Set<number>();
let waiting: (() => void)[] = [];
let installed = false;

function release(pointerId: number | undefined): void {
  if (pointerId === undefined) pressed.clear();
  else pressed.delete(pointerId);
  if (pressed.size > 0) return;
  const resolve = waiting;
  waiting = [];
  resolve.forEach((r) => r());
}

function install(): void {
  if (installed || typeof window === 'undefined') return;
  installed = true;
  const id = (e: Event) => (e as PointerEvent).pointerId ?? 1;
  // Captured at the window, so an element that stops the event's propagation cannot hide a press from us.
  window.addEventListener('pointerdown', (e) => pressed.add(id(e)), { capture: true });
  window.addEventListener('pointerup', (e) => release(id(e)), { capture: true });
  window.addEventListener('pointercancel', (e) => release(id(e)), { capture: true });
  // A release outside a window that lost focus may never reach it.
  window.addEventListener('blur', () => release(undefined));
}

/** Starts watching presses (idempotent); call once when the app mounts, so a press already under way is seen. */
export function watchPointerPresses(): void {
  install();
}

/** Resolves at once when no pointer is pressed, else when the last one is released (or the window loses focus). */
export function noPointerPressed(): Promise<void> {
  install();
  if (pressed.size === 0) return Promise.resolve();
  return new Promise((resolve) => waiting.push(resolve));
}
