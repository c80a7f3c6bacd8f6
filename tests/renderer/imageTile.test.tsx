// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { ImageTile } from '../../renderer/src/components/ImageTile';
import { AnimationPlayer } from '../../renderer/src/views/interpolate/AnimationPlayer';
import { float32Tensor } from '../../electron/api/tensor';
import { FrameCache, imageToRgba, withRun } from '../../renderer/src/lib/images';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('images in the renderer', () => {
  it('turns one image of a [batch, 1, h, w] tensor in [0, 1] into opaque grey RGBA', () => {
    const data = new Float32Array([0, 0.5, 1, 0.25, /* second image */ 1, 1, 1, 1]);
    const rgba = imageToRgba(data, 0, 1, 2, 2);
    expect(Array.from(rgba.subarray(0, 8))).toEqual([0, 0, 0, 255, 128, 128, 128, 255]);
    expect(Array.from(imageToRgba(data, 1, 1, 2, 2).subarray(0, 4))).toEqual([255, 255, 255, 255]);
    expect(Array.from(imageToRgba(new Uint8Array([7, 9, 11, 13]), 0, 1, 2, 2).subarray(4, 8))).toEqual([9, 9, 9, 255]);
  });

  it('8-bit colour planes become the same RGBA as their float values would, for any image of a batch', () => {
    const [channels, height, width] = [3, 5, 7];
    const bytes = Uint8Array.from({ length: 2 * channels * height * width }, (_, i) => (i * 37 + 11) % 256);
    const floats = Float32Array.from(bytes, (v) => v / 255);
    for (const index of [0, 1]) {
      const rgba = imageToRgba(bytes, index, channels, height, width);
      expect(Array.from(rgba)).toEqual(Array.from(imageToRgba(floats, index, channels, height, width)));
      // The second image's first pixel: its three planes' first values, opaque.
      if (index === 1) expect(Array.from(rgba.subarray(0, 4))).toEqual([bytes[105], bytes[140], bytes[175], 255]);
    }
  });

  it('an image tile is a pixel-exact canvas at an integer zoom with its label', () => {
    const container = document.createElement('div');
    act(() => createRoot(container).render(<ImageTile data={new Float32Array(784)} shape={[1, 1, 28, 28]} zoom={4} label="Decoded" />));
    const canvas = container.querySelector('canvas')!;
    expect(canvas.width).toBe(28);
    expect(canvas.style.width).toBe('112px');
    expect(canvas.className).toContain('pixelated');
    expect(canvas.getAttribute('aria-label')).toBe('Decoded');
    expect(container.textContent).toContain('Decoded');
  });

  it("Interpolate's player zooms small frames and keeps a large model's within 512 px", () => {
    const widths = [28, 256, 512].map((side) => {
      const container = document.createElement('div');
      act(() => createRoot(container).render(<AnimationPlayer images={float32Tensor([2, 3, side, side], new Float32Array(2 * 3 * side * side))} fps={8} />));
      return container.querySelector('canvas')!.style.width;
    });
    expect(widths).toEqual(['168px', '512px', '512px']);
  });
});

describe('a grid or strip filled run by run', () => {
  const run = (n: number, value: number) => ({ dtype: 'uint8' as const, shape: [n, 3, 2, 2], data: new Uint8Array(n * 12).fill(value) });

  it('writes a run at its place in a new array, keeping the frames of the same shape and blanking those of another', () => {
    const first = withRun(undefined, run(2, 7), 0, 4);
    expect(first.kept).toBe(false);
    expect(first.images.shape).toEqual([4, 3, 2, 2]);
    expect(Array.from(first.images.data)).toEqual([...Array(24).fill(7), ...Array(24).fill(0)]);
    const second = withRun(first.images, run(1, 9), 3, 4);
    expect(second.kept).toBe(true);
    expect(second.images.data).not.toBe(first.images.data);
    expect(Array.from(second.images.data)).toEqual([...Array(24).fill(7), ...Array(12).fill(0), ...Array(12).fill(9)]);
    // Another count (or another model's size) is not carried over.
    const other = withRun(second.images, run(1, 5), 0, 5);
    expect(other.kept).toBe(false);
    expect(Array.from(other.images.data)).toEqual([...Array(12).fill(5), ...Array(48).fill(0)]);
  });
});

describe('the frame cache', () => {
  it('converts a frame once and keeps frames within its byte budget', () => {
    const cache = new FrameCache(2 * 16);
    let made = 0;
    const make = () => (made++, { data: new Uint8ClampedArray(16), width: 2, height: 2 } as ImageData);
    const first = cache.get(0, make);
    expect(cache.get(0, make)).toBe(first);
    cache.get(1, make);
    cache.get(1, make);
    expect(made).toBe(2);
    // Past the budget a frame is made each time, not kept.
    cache.get(2, make);
    cache.get(2, make);
    expect(made).toBe(4);
  });
});
