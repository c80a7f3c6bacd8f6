// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { noPointerPressed, watchPointerPresses } from '../../renderer/src/lib/pointerGesture';

/** A pointer event as the window's capture listeners see it (jsdom has no PointerEvent constructor). */
const pointer = (type: string, pointerId: number, target: EventTarget = document.body) => {
  const event = new Event(type, { bubbles: true });
  Object.defineProperty(event, 'pointerId', { value: pointerId });
  target.dispatchEvent(event);
};

/** Whether the promise settled within a few turns of the event loop. */
const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  return done;
};

describe('work that waits for the pointer to be released', () => {
  it('resolves at once with nothing pressed', async () => {
    watchPointerPresses();
    expect(await settled(noPointerPressed())).toBe(true);
  });

  it('waits through a drag and resolves on its release, even where the element stops the event', async () => {
    const slider = document.createElement('input');
    slider.addEventListener('pointerdown', (e) => e.stopPropagation());
    document.body.append(slider);
    pointer('pointerdown', 1, slider);
    const wait = noPointerPressed();
    expect(await settled(wait)).toBe(false);
    pointer('pointermove', 1, slider);
    expect(await settled(wait)).toBe(false);
    pointer('pointerup', 1, slider);
    expect(await settled(wait)).toBe(true);
  });

  it('waits for the last of two pressed pointers; a cancel or the window losing focus counts as a release', async () => {
    pointer('pointerdown', 1);
    pointer('pointerdown', 2);
    const wait = noPointerPressed();
    pointer('pointerup', 2);
    expect(await settled(wait)).toBe(false);
    pointer('pointercancel', 1);
    expect(await settled(wait)).toBe(true);

    pointer('pointerdown', 3);
    const lost = noPointerPressed();
    expect(await settled(lost)).toBe(false);
    window.dispatchEvent(new Event('blur'));
    expect(await settled(lost)).toBe(true);
  });
});
