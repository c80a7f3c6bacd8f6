import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { exportGif, upscaleIndices } from '../../electron/engine/ops/gif';
import { float32Tensor } from '../../electron/api/tensor';

/** Seeded noise in [0, 1]: a diffusion step's picture is mostly noise, the case gifenc's default palette fit was slow on. */
function noisyFrames(count: number, channels: number, height: number, width: number): Float32Array {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return Float32Array.from({ length: count * channels * height * width }, (_, i) => 0.5 + 0.3 * Math.sin(i * 0.001) + 0.2 * (random() - 0.5));
}

async function decodeFrames(gif: Uint8Array): Promise<{ pages: number; width: number; pageHeight: number; rgba: Buffer }> {
  const image = sharp(Buffer.from(gif), { animated: true });
  const { pages, width, pageHeight } = await image.metadata();
  return { pages: pages!, width: width!, pageHeight: pageHeight!, rgba: await image.ensureAlpha().raw().toBuffer() };
}

describe('GIF export', () => {
  it('colour frames: one per image at the scale asked for, each pixel an enlarged copy close to its source', async () => {
    const [count, height, width, scale] = [3, 24, 32, 3];
    const data = noisyFrames(count, 3, height, width);
    const { pages, width: w, pageHeight, rgba } = await decodeFrames(await exportGif(float32Tensor([count, 3, height, width], data), scale, [100, 100, 300]));
    expect([pages, w, pageHeight]).toEqual([count, width * scale, height * scale]);
    for (let n = 0; n < count; n++) {
      let squared = 0;
      for (let y = 0; y < height * scale; y++)
        for (let x = 0; x < width * scale; x++)
          for (let c = 0; c < 3; c++) {
            const source = Math.round(data[((n * 3 + c) * height + Math.floor(y / scale)) * width + Math.floor(x / scale)]! * 255);
            squared += (rgba[((n * height * scale + y) * w + x) * 4 + c]! - source) ** 2;
          }
      const psnr = 10 * Math.log10((255 * 255) / (squared / (height * scale * width * scale * 3)));
      expect(psnr).toBeGreaterThan(28);
    }
  });

  it('grey frames keep every grey level exactly', async () => {
    const data = Float32Array.from({ length: 2 * 16 * 16 }, (_, i) => (i % 256) / 255);
    const { pages, rgba } = await decodeFrames(await exportGif(float32Tensor([2, 1, 16, 16], data), 2, [50, 50]));
    expect(pages).toBe(2);
    for (let n = 0; n < 2; n++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) expect(rgba[((n * 32 + y) * 32 + x) * 4]).toBe(Math.round(data[n * 256 + Math.floor(y / 2) * 16 + Math.floor(x / 2)]! * 255));
  });

  it('frames given as bytes, as the preview calls give them, make the GIF their floats make', async () => {
    const floats = noisyFrames(2, 3, 20, 24).map((v) => Math.round(v * 255) / 255);
    const bytes = Uint8Array.from(floats, (v) => Math.round(v * 255));
    const fromFloats = await exportGif(float32Tensor([2, 3, 20, 24], floats), 2, [80, 80]);
    const fromBytes = await exportGif({ dtype: 'uint8', shape: [2, 3, 20, 24], data: bytes }, 2, [80, 80]);
    expect(Buffer.from(fromBytes).equals(Buffer.from(fromFloats))).toBe(true);
  });

  it('enlarges palette indices by nearest-neighbour', () => {
    expect(Array.from(upscaleIndices(Uint8Array.from([1, 2, 3, 4]), 2, 2, 2))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('a long export of noisy 256 px frames lets other work run between frames', async () => {
    const count = 12;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const gif = await exportGif(float32Tensor([count, 3, 256, 256], noisyFrames(count, 3, 256, 256)), 4, new Array(count).fill(83));
    clearInterval(timer);
    expect((await decodeFrames(gif)).pages).toBe(count);
    // A tick at least every other frame: the engine answers other calls while a GIF is written.
    expect(ticks).toBeGreaterThanOrEqual(count / 2);
  });
});
