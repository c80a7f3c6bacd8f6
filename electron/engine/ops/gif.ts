import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { tileImages } from './imageIO';

const GRAY_PALETTE = Array.from({ length: 256 }, (_, v) => [v, v, v]);

/** An animated, looping GIF of frames [n, c, h, w] in [0, 1], upscaled by nearest-neighbour. */
export function exportGif(frames: Float32Tensor, scale: number, frameMs: number[]): Uint8Array {
  const [count, channels, height, width] = frames.shape as [number, number, number, number];
  if (frameMs.length !== count) throw new ApiError('bad-input', `one duration per frame: ${count} frames, ${frameMs.length} durations`, 'args.frameMs');
  const gif = GIFEncoder();
  const plane = channels * height * width;
  const outW = width * scale;
  const outH = height * scale;
  for (let n = 0; n < count; n++) {
    const { raw } = tileImages(float32Tensor([1, channels, height, width], frames.data.subarray(n * plane, (n + 1) * plane)));
    const rgba = new Uint8Array(outW * outH * 4);
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        const source = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
        for (let c = 0; c < 3; c++) rgba[(y * outW + x) * 4 + c] = raw[source + (channels === 1 ? 0 : c)]!;
        rgba[(y * outW + x) * 4 + 3] = 255;
      }
    }
    // Grayscale needs no quantizing: the pixel value is its palette index.
    const palette = channels === 1 ? GRAY_PALETTE : quantize(rgba, 256);
    const index = channels === 1 ? rgba.filter((_, i) => i % 4 === 0) : applyPalette(rgba, palette);
    gif.writeFrame(index, outW, outH, { palette, delay: Math.round(frameMs[n]!), repeat: 0 });
  }
  gif.finish();
  return gif.bytes();
}
