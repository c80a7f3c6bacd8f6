import { useEffect, useState } from 'react';
import { joinBatches, type Uint8Tensor } from '../../../../electron/api/tensor';
import { decodeArgs, type CodeSpace } from '../../lib/codeSpace';
import { applyEdits, type Edit } from '../../../../electron/common/vectors';
import { useAppStore } from '../../state/appStore';
import { slidersAtRest } from './sliderActivity';
import { evenlySpaced, PIECE_MS, pieceFrames, sweepAmounts, sweepPlan } from './sweep';
import { median } from '../../lib/median';
import { decodeCost } from '../../lib/decodeCost';

export interface Sweep {
  /** The other directions' amounts it was decoded with, and everything else it depends on. */
  key: string;
  direction: string;
  range: number;
  base: Float32Array;
  vectors: ReadonlyMap<string, Float32Array>;
  /** The strip's amounts (nine, evenly spaced over the slider, ends included). */
  stripAmounts: number[];
  /** The strip's frames decoded so far, in order, one tensor of 8-bit planes each (a tile redraws only when its own frame is new). */
  strip: Uint8Tensor[];
  /** The slider's whole grid (161 images at ±4), where its measured cost allows: its amounts and one image per amount. */
  grid?: { amounts: number[]; images: Uint8Tensor };
  /** Once the strip is done: whether the grid is decoded ahead, or only frames near the thumb (useNearFrames). */
  plan?: 'grid' | 'strip';
  /** Decodes frames of this sweep at the given amounts of the focused direction, as 8-bit planes, timed by the engine. */
  decode(amounts: number[]): Promise<{ images: Uint8Tensor; ms: number }>;
}

/** Frames in the strip shown under the picture, and decoded first to measure what the grid would cost. */
export const STRIP_FRAMES = 9;

/** The least time dear strip frames wait after the strip began or the sliders last moved. */
const STRIP_QUIET_MS = 300;

/** What a strip frame of each model last cost (median ms): a new direction's strip knows it before its first frame. */
const frameCost = new Map<string, number>();

/**
 * A frame that costs more than a piece of the grid (at 256 px on a CPU as much as a drag's own decode) waits until the
 * sliders, and the work itself since `started`, have been still for two frames' time: a new slider is about to be
 * pressed, and a press finds at most the frame in flight. Cheap frames go on at once. Before a strip has measured the
 * model, the picture's own decodes tell its cost: at 512 px the first strip frame began with the new slider, and the
 * press that followed waited for it.
 */
export async function restBeforeDearFrame(model: string, started: number): Promise<void> {
  const cost = frameCost.get(model) ?? decodeCost(model);
  if (cost !== undefined && cost > PIECE_MS) await slidersAtRest(Math.max(STRIP_QUIET_MS, 2 * cost), started);
}

/**
 * Decodes a strip of nine frames of the focused direction, one at a time, timing it; then, where the
 * measured cost allows (sweepPlan), its whole slider grid (161 images at ±4) in pieces of a few
 * tens of milliseconds each (pieceFrames), so dragging that slider paints a ready image in the same
 * frame as the input event. Where it does not (large models, slow machines), drags decode on demand.
 * The other directions stay as they are; when they change, the sweep is decoded again
 * and `current` is false meanwhile. Strip frames dearer than a grid piece wait for the sliders to rest
 * (sliderActivity: held, moved or pointed at), so a drag's own decode waits for at most the one already in flight.
 */
export function useSweep(model: string | undefined, base: Float32Array | undefined, stack: readonly Edit[], direction: string | undefined, range: number, vectors: ReadonlyMap<string, Float32Array>, space: CodeSpace = 'z'): { sweep?: Sweep; current: boolean } {
  const client = useAppStore((s) => s.client);
  const summary = useAppStore((s) => s.models.find((m) => m.id === model));
  const [sweep, setSweep] = useState<Sweep>();
  const others = stack.filter((e) => e.direction !== direction && e.amount !== 0);
  const key = JSON.stringify([model, direction, range, others, space]);
  useEffect(() => {
    if (!client || !model || !summary || !base || !direction || !vectors.has(direction)) return;
    const [, , , edits] = JSON.parse(key) as [string, string, number, Edit[]];
    const grid = sweepAmounts(range);
    const decode = (amounts: number[]) => {
      const codes = new Float32Array(amounts.length * base.length);
      amounts.forEach((amount, i) => codes.set(applyEdits(base, [...edits, { direction, amount }], vectors), i * base.length));
      // Frames that are only shown and read back one at a time travel as 8-bit planes (model.preview): a quarter of
      // float32's bytes to send, hold and convert (a 256 px grid: 32 MB, not 127). They are made ahead, so they run in
      // the background: a drag's own decode does not wait for the strip frame in flight.
      return client.invoke('model.preview', { ...decodeArgs(summary, space, codes, amounts.length), lane: 'edit-sweep', priority: 'background' });
    };
    let live = true;
    (async () => {
      const stripAmounts = evenlySpaced(grid.length, STRIP_FRAMES).map((k) => grid[k]!);
      // A frame a call, so a drag's decode (on its own lane) waits for one strip frame at most, not all nine:
      // at 256 px the batched strip held the first move back by half a second.
      const frames: Uint8Tensor[] = [];
      const frameMs: number[] = [];
      const started = performance.now();
      for (const amount of stripAmounts) {
        // The first frame of a model's first strip measures the cost (the picture's decodes estimate it before); later
        // strips know it (pressing another slider starts its strip, which must not run beside the drag). Cheap frames
        // go on, so a small model's grid is ready within the drag.
        await restBeforeDearFrame(model, started);
        if (!live) return;
        const frame = await decode([amount]);
        if (!live) return;
        frames.push(frame.images);
        frameMs.push(frame.ms);
        const measured = median(frameMs);
        frameCost.set(model, measured);
        // Dear frames show as they arrive (at 512 px on a CPU the strip takes seconds); cheap ones all at once.
        if (frames.length < STRIP_FRAMES && measured > PIECE_MS) setSweep({ key, direction, range, base, vectors, stripAmounts, strip: [...frames], decode });
      }
      const bytesPerFrame = frames[0]!.data.length;
      const plan = sweepPlan(frameMs, grid.length, bytesPerFrame);
      setSweep({ key, direction, range, base, vectors, stripAmounts, strip: frames, plan, decode });
      if (plan === 'strip') return;
      const piece = pieceFrames(median(frameMs), bytesPerFrame, grid.length);
      const parts: Uint8Tensor[] = [];
      for (let i = 0; i < grid.length; i += piece) {
        parts.push((await decode(grid.slice(i, i + piece))).images);
        if (!live) return;
      }
      setSweep({ key, direction, range, base, vectors, stripAmounts, strip: frames, plan, decode, grid: { amounts: grid, images: joinBatches(parts) } });
    })().catch(() => {});
    return () => {
      live = false;
    };
  }, [client, model, summary, base, key, direction, range, vectors, space]);
  return { sweep, current: !!sweep && sweep.key === key && sweep.base === base && sweep.vectors === vectors };
}
