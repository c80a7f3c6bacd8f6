// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Uint8Tensor } from '../../electron/api/tensor';
import { ImageTile } from '../../renderer/src/components/ImageTile';
import { framesWithRun, withRun } from '../../renderer/src/lib/images';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const [channels, height, width] = [3, 8, 8];
const per = channels * height * width;
/** A run of `count` frames, each filled with its own frame number. */
const run = (at: number, count: number): Uint8Tensor => ({ dtype: 'uint8', shape: [count, channels, height, width], data: Uint8Array.from({ length: count * per }, (_, i) => at + Math.floor(i / per)) });

afterEach(() => vi.restoreAllMocks());

describe("a strip's frames as its runs come", () => {
  it("writes a run's frames in as views of its bytes and keeps every other frame as it was", () => {
    const first = framesWithRun(undefined, run(0, 2), 0, 6);
    expect(first.map((f) => f?.[0])).toEqual([0, 1, undefined, undefined, undefined, undefined]);
    const second = framesWithRun(first, run(2, 2), 2, 6);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    expect(second.map((f) => f?.[0])).toEqual([0, 1, 2, 3, undefined, undefined]);
    // Views, not copies, of the run's bytes.
    const bytes = run(4, 2);
    expect(framesWithRun(second, bytes, 4, 6)[5]!.buffer).toBe(bytes.data.buffer);
    // Another count, or frames of another size, start over.
    expect(framesWithRun(second, run(0, 1), 0, 8).filter(Boolean)).toHaveLength(1);
  });

  it('each tile of a 32-frame strip that comes two frames a run draws once, where the whole strip drew again at every run', async () => {
    let draws = 0;
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => ({ putImageData: () => void draws++ }) as never);
    (globalThis as { ImageData?: unknown }).ImageData ??= class {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    };
    const total = 32;
    const drawsFor = async (render: (at: number) => React.ReactNode) => {
      draws = 0;
      const root = createRoot(document.createElement('div'));
      for (let at = 0; at < total; at += 2) {
        await act(async () => root.render(render(at)));
        // Tiles draw within a budget per task: let the queue drain.
        await act(async () => new Promise((resolve) => setTimeout(resolve, 5)));
      }
      act(() => root.unmount());
      return draws;
    };
    let frames: (Uint8Array | undefined)[] | undefined;
    const perFrame = await drawsFor((at) => {
      frames = framesWithRun(frames, run(at, 2), at, total);
      return frames.slice(0, at + 2).map((f, i) => <ImageTile key={i} data={f!} shape={[1, channels, height, width]} />);
    });
    let whole: Uint8Tensor | undefined;
    const wholeStrip = await drawsFor((at) => {
      whole = withRun(whole, run(at, 2), at, total).images;
      return Array.from({ length: at + 2 }, (_, i) => <ImageTile key={i} data={whole!.data} shape={whole!.shape} index={i} />);
    });
    expect(perFrame).toBe(total);
    expect(wholeStrip).toBe((total / 2) * (total / 2 + 1));
  });
});
