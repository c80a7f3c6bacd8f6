import { describe, expect, it } from 'vitest';
import { noteSliderActivity, slidersAtRest } from '../../renderer/src/views/edit/sliderActivity';

const restedAfter = async (quietMs: number) => {
  const t0 = performance.now();
  await slidersAtRest(quietMs);
  return performance.now() - t0;
};

describe('background decodes wait for the sliders to rest', () => {
  it('a pointer moving over a slider counts as activity until it has been still for the quiet time', async () => {
    noteSliderActivity();
    expect(await restedAfter(60)).toBeGreaterThanOrEqual(55);
    // Still pointing, still moving: each move pushes the rest further out.
    noteSliderActivity();
    const moves = setInterval(() => noteSliderActivity(), 20);
    setTimeout(() => clearInterval(moves), 150);
    // The last move comes at 140-150 ms, so the rest at 200-210 ms; timers fire a little early or late (199.6 ms was
    // seen on a loaded machine), and without the moves it would have come at 60 ms.
    expect(await restedAfter(60)).toBeGreaterThanOrEqual(185);
  });

  it('a held slider is not at rest until released, a released one after the quiet time', async () => {
    noteSliderActivity(true);
    setTimeout(() => noteSliderActivity(false), 120);
    expect(await restedAfter(40)).toBeGreaterThanOrEqual(155);
    expect(await restedAfter(40)).toBeLessThan(5);
  });

  it('waits from a given time too: a strip that has just begun waits its quiet time even with the sliders long still', async () => {
    await slidersAtRest(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await restedAfter(40)).toBeLessThan(5);
    const began = performance.now();
    expect(await restedAfter.call(null, 0)).toBeLessThan(5);
    const t0 = performance.now();
    await slidersAtRest(60, began);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
  });
});
