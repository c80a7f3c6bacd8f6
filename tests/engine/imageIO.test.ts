import sharp from 'sharp';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../electron/api/errors';
import { float32Tensor } from '../../electron/api/tensor';
import { exportPng, fitPixels, importImage, writePlanes } from '../../electron/engine/ops/imageIO';
import { byteTable, fromUnitRange } from '../../electron/engine/ops/imageRange';
import { addTextChunk, readTextChunks } from '../../electron/engine/ops/pngText';

const target = { channels: 1 as const, height: 28, width: 28 };

/** A white square on black in the left half of a wide image, so crop and letterbox differ visibly. */
async function testImage(format: 'png' | 'jpeg' | 'webp', width = 120, height = 60) {
  const square = await sharp({ create: { width: height, height, channels: 3, background: '#ffffff' } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .composite([{ input: square, left: 0, top: 0 }])
    .toFormat(format, format === 'png' ? {} : { quality: 95 })
    .toBuffer();
}

const mean = (data: Float32Array) => data.reduce((s, v) => s + v, 0) / data.length;
const bad = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as ApiError);

describe('image import', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('reads %s for a dataset in one call, to exactly the pixels a single import makes, in the model’s range', async (format) => {
    const bytes = await testImage(format, 96, 80);
    const colour = { channels: 3 as const, height: 32, width: 32 };
    for (const t of [target, colour]) {
      const single = await importImage(bytes, t, 'crop');
      const fast = await fitPixels(bytes, t, 'crop');
      const unit = new Float32Array(single.modelInput.data.length);
      writePlanes(fast, t, unit, 0, byteTable());
      expect(unit).toEqual(single.modelInput.data);
      const ranged = new Float32Array(unit.length + 5);
      writePlanes(fast, t, ranged, 5, byteTable([-1, 1]));
      expect(ranged.subarray(5)).toEqual(fromUnitRange(single.modelInput.data, [-1, 1]));
    }
  });

  it('refuses for a dataset with the sentence a single import gives', async () => {
    const png = await testImage('png');
    const cases = [new Uint8Array(0), png.subarray(0, png.length >> 1), Buffer.from('GIF89a not really'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).tiff().toBuffer()];
    for (const bytes of cases) {
      const single = await bad(importImage(bytes, target, 'crop', false, 'a.png'));
      const fast = await bad(fitPixels(bytes, target, 'crop', 'a.png'));
      expect(single).toBeInstanceOf(ApiError);
      expect(fast?.message).toBe(single!.message);
    }
  });

  it.each(['png', 'jpeg', 'webp'] as const)('reads %s and fits it to the model: crop fills, letterbox pads', async (format) => {
    const bytes = await testImage(format);
    const cropped = await importImage(bytes, target, 'crop');
    expect(cropped.format).toBe(format);
    expect([cropped.width, cropped.height]).toEqual([120, 60]);
    expect(cropped.modelInput.shape).toEqual([1, 1, 28, 28]);
    // Centre crop of a 2:1 image keeps the middle square: half white, half black.
    expect(mean(cropped.modelInput.data)).toBeCloseTo(0.5, 1);
    const letterboxed = await importImage(bytes, target, 'letterbox');
    // Letterbox keeps the whole image in a band half the height: a quarter white.
    expect(mean(letterboxed.modelInput.data)).toBeCloseTo(0.25, 1);
    const inverted = await importImage(bytes, target, 'crop', true);
    expect(mean(inverted.modelInput.data)).toBeCloseTo(1 - mean(cropped.modelInput.data), 2);
  });

  it('turns an EXIF-rotated photo upright before fitting it', async () => {
    // Stored landscape with the white half on the left; orientation 6 means "rotate 90° clockwise to view".
    const stored = await testImage('jpeg', 120, 60);
    const rotated = await sharp(stored).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const image = await importImage(rotated, target, 'letterbox');
    expect([image.width, image.height]).toEqual([60, 120]);
    // Upright it is portrait with the white half on top: the top rows are bright, the bottom dark.
    const rows = (from: number, to: number) => mean(image.modelInput.data.subarray(from * 28, to * 28));
    expect(rows(1, 12)).toBeGreaterThan(0.3);
    expect(rows(16, 27)).toBeLessThan(0.05);
  });

  it('takes a 1×1 image, with a warning that it was upscaled, and an 8000×6000 one without', async () => {
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer();
    const one = await importImage(tiny, target, 'crop', false, 'dot.png');
    expect(mean(one.modelInput.data)).toBeCloseTo(128 / 255, 2);
    expect(one.warnings).toEqual(["dot.png is 1×1 px, smaller than the model's 28×28: it was upscaled, so results will look flat."]);
    const large = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#ffffff' } }).jpeg({ quality: 50 }).toBuffer();
    const big = await importImage(large, target, 'crop');
    expect([big.width, big.height]).toEqual([8000, 6000]);
    expect(mean(big.modelInput.data)).toBeGreaterThan(0.95);
    expect(big.warnings).toEqual([]);
  });

  it('refuses a decompression bomb above 50 megapixels from its header, before decoding', async () => {
    const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer());
    png.writeUInt32BE(20000, 16); // IHDR width
    png.writeUInt32BE(20000, 20); // IHDR height
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    const error = await bad(importImage(png, target, 'crop', false, 'bomb.png'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error!.message).toBe('bomb.png is 20000×20000 (400.0 megapixels); images above 50 megapixels are refused: scale it down first.');
  });

  it('refuses empty, corrupt, truncated and non-image files with a sentence that names the file and says what to do', async () => {
    const message = async (bytes: Uint8Array, name: string) => (await bad(importImage(bytes, target, 'crop', false, name)))!.message;
    expect(await message(new Uint8Array(0), 'empty.png')).toBe('empty.png is empty (0 bytes): choose another file.');
    expect(await message(Buffer.from('hello, not an image'), 'notes.txt')).toBe('notes.txt could not be read: it is not a PNG, JPEG or WebP image.');
    // A JPEG cut off half way: libvips says "premature end of JPEG image"; the user is told what that means.
    const photo = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    const truncated = await message(photo.subarray(0, Math.floor(photo.length / 2)), 'shirt.jpg');
    expect(truncated).toBe('shirt.jpg could not be read: the JPEG data ends early — the file may be truncated; export or download it again.');
    expect(truncated).not.toMatch(/Vips|premature/);
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).gif().toBuffer();
    expect(await message(gif, 'cat.gif')).toBe('cat.gif is a GIF image; Latent Studio imports PNG, JPEG and WebP: save it as PNG first.');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    expect(await message(svg, 'logo.svg')).toBe('logo.svg is an SVG image; Latent Studio imports PNG, JPEG and WebP: save it as PNG first.');
  });
});

describe('PNG export', () => {
  const image = float32Tensor([1, 1, 28, 28], new Float32Array(784).map((_, i) => (i % 28) / 27));
  const metadata = { model: 'fmnist-vae', latent: { shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i / 7 - 1) }, edits: [{ direction: 'boot-ness', amount: 2.5 }] };

  it('upscales by 1, 2, 4 and 8, nearest-neighbour or smooth', async () => {
    for (const scale of [1, 2, 4, 8] as const) {
      const png = await exportPng(image, { scale, smooth: false });
      const { width, height } = await sharp(png).metadata();
      expect([width, height]).toEqual([28 * scale, 28 * scale]);
    }
    const sharpEdges = await sharp(await exportPng(image, { scale: 8, smooth: false })).raw().toBuffer();
    // Nearest-neighbour: each source pixel becomes an 8×8 block of one value.
    expect(new Set(sharpEdges.subarray(0, 8)).size).toBe(1);
  });

  it('embeds the model, latent code and edits, and re-import restores them', async () => {
    const png = await exportPng(image, { scale: 4, smooth: true, metadata });
    const restored = await importImage(png, target, 'crop');
    expect(restored.restored).toEqual(metadata);
    // The pixels survive the round trip at 1×.
    const again = await importImage(await exportPng(image, { scale: 1, smooth: false }), target, 'crop');
    for (let i = 0; i < 784; i += 97) expect(again.modelInput.data[i]).toBeCloseTo(image.data[i]!, 2);
  });

  it('embeds the original image with the edit, exactly to 8 bits, and re-import gives it back in colour', async () => {
    const original = float32Tensor([1, 3, 20, 30], Float32Array.from({ length: 1800 }, (_, i) => ((i * 37) % 256) / 255));
    const png = await exportPng(image, { scale: 2, smooth: false, metadata, original });
    const restored = await importImage(png, target, 'crop');
    expect({ ...restored.restored, original: undefined }).toEqual({ ...metadata, original: undefined });
    expect(restored.restoredOriginal!.shape).toEqual([1, 3, 20, 30]);
    expect(Math.max(...restored.restoredOriginal!.data.map((v, i) => Math.abs(v - original.data[i]!)))).toBeLessThan(0.5 / 255 + 1e-6);
  });

  it('ignores a damaged or foreign metadata note but still imports the pixels', async () => {
    const png = await exportPng(image, { scale: 1, smooth: false });
    const foreign = addTextChunk(png, 'latent-studio', '{"model": 3}');
    expect((await importImage(foreign, target, 'crop')).restored).toBeUndefined();
    expect(readTextChunks(addTextChunk(png, 'Comment', 'café ☕')).get('Comment')).toBe('caf\\u00e9 \\u2615');
  });
});
