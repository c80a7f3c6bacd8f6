// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { noteDecodeCost } from '../../renderer/src/lib/decodeCost';
import { noteSliderActivity } from '../../renderer/src/views/edit/sliderActivity';
import { restBeforeDearFrame } from '../../renderer/src/views/edit/useSweep';

const heldFor = async (model: string) => {
  const t0 = performance.now();
  await restBeforeDearFrame(model, t0);
  return performance.now() - t0;
};

describe('a strip frame of a dear model waits for the sliders before any strip has measured it', () => {
  it('takes the cost from the model’s decodes for display: a dear one waits two decodes of quiet, a cheap or unknown one goes at once', async () => {
    noteSliderActivity();
    // Never decoded: nothing says it is dear.
    expect(await heldFor('unknown-model')).toBeLessThan(20);
    // A 512 px decoder's picture: about 200 ms a decode (the median of the last few, so one slow reply does not count).
    for (const ms of [180, 2000, 200, 210]) noteDecodeCost('dear-model', ms);
    expect(await heldFor('dear-model')).toBeGreaterThanOrEqual(390);
    // A 64 px one: cheaper than a piece of the grid, not held.
    noteDecodeCost('cheap-model', 2);
    expect(await heldFor('cheap-model')).toBeLessThan(20);
  });
});
