import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../../../electron/api/errors';
import type { Uint8Tensor } from '../../../../electron/api/tensor';
import { farthestBeyond, nearCapacity, nextNear } from './nearFrames';
import { nearestSweepIndex, sweepAmounts } from './sweep';
import { restBeforeDearFrame, type Sweep } from './useSweep';

/**
 * Where a sweep's whole grid is too dear to decode ahead (plan 'strip': large models, slow machines), decodes the amounts
 * nearest the focused slider's thumb while the sliders rest, one frame a call, nearest first and towards the side the
 * thumb last moved, within a byte budget (nearFrames.ts); frames that fall out of it as the thumb moves are dropped.
 * A nudge then paints at once. Like the strip, each frame waits for the sliders to rest, so a drag's own decode
 * queues behind at most the frame in flight. Returns the frames by grid position, for the sweep given only.
 */
export function useNearFrames(model: string | undefined, sweep: Sweep | undefined, amount: number): ReadonlyMap<number, Uint8Tensor> | undefined {
  const [near, setNear] = useState<{ sweep: Sweep; frames: ReadonlyMap<number, Uint8Tensor> }>();
  const active = sweep?.plan === 'strip' ? sweep : undefined;
  const centre = active ? nearestSweepIndex(amount, active.range) : 0;
  // The loop below reads where the thumb is now and sleeps until it moves, without starting again on every move.
  const thumb = useRef({ centre, lean: 1 as 1 | -1, moved: undefined as (() => void) | undefined });
  useEffect(() => {
    const t = thumb.current;
    if (centre !== t.centre) t.lean = centre > t.centre ? 1 : -1;
    t.centre = centre;
    t.moved?.();
  }, [centre]);

  useEffect(() => {
    if (!model || !active) return;
    const t = thumb.current;
    const grid = sweepAmounts(active.range);
    const capacity = nearCapacity(active.strip[0]?.data.length ?? Infinity);
    const frames = new Map<number, Uint8Tensor>();
    let live = true;
    (async () => {
      const started = performance.now();
      while (live) {
        await restBeforeDearFrame(model, started);
        if (!live) return;
        const k = nextNear(t.centre, frames, capacity, grid.length, t.lean);
        if (k === undefined) {
          await new Promise<void>((resolve) => (t.moved = resolve));
          continue;
        }
        let frame: { images: Uint8Tensor };
        try {
          frame = await active.decode([grid[k]!]);
        } catch (e) {
          // A newer call on the sweep's lane took this one's place: ask again once the sliders rest; any other error ends it.
          if (live && e instanceof ApiError && e.code === 'superseded') continue;
          return;
        }
        if (!live) return;
        frames.set(k, frame.images);
        for (const far of farthestBeyond(t.centre, frames.keys(), capacity)) frames.delete(far);
        setNear({ sweep: active, frames: new Map(frames) });
      }
    })().catch(() => {});
    return () => {
      live = false;
      t.moved?.();
      t.moved = undefined;
    };
  }, [model, active]);
  return near && near.sweep === sweep ? near.frames : undefined;
}
