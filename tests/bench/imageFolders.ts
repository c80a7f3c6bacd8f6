import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readDatasetSample, type DatasetSample } from '../../electron/engine/dataset/sample';
import { paths } from '../helpers/engine';

/** Folders of images for the dataset benchmarks, made from the bundled Fashion-MNIST sample (10,000 28×28 greyscale images). */
export const readSample = (): Promise<DatasetSample> => readDatasetSample(paths.datasetBinary, paths.datasetSidecar);

/** A label as a folder name ("T-shirt/top" → "T-shirt-top"). */
export const folderName = (label: string) => label.replace(/[\\/:*?"<>|]/g, '-');

/** Runs `work(i)` for i < count with at most `parallel` in flight. */
export async function pool(count: number, parallel: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

// A colour per class for the garment and one per image for the background, so the pictures are colour photographs of a sort.
const TINTS = [[220, 60, 60], [60, 120, 220], [240, 200, 60], [60, 180, 90], [150, 80, 200], [240, 130, 40], [40, 190, 200], [200, 70, 150], [130, 100, 60], [90, 90, 90]] as const;

/** The sample's image `index` in colour: its class's tint over a background of the image's own, interleaved RGB 28×28. */
function colourImage(sample: DatasetSample, index: number): Buffer {
  const tint = TINTS[sample.labels[index]! % TINTS.length]!;
  const bg = [(index * 37) % 200 + 30, (index * 91) % 200 + 30, (index * 53) % 200 + 30];
  const out = Buffer.alloc(784 * 3);
  for (let p = 0; p < 784; p++) {
    const v = sample.pixels[index * 784 + p]! / 255;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(v * tint[c]! + (1 - v) * bg[c]!);
  }
  return out;
}

/**
 * `count` colour images of `width`×`height` (larger than the model and of another aspect, so fitting crops and resizes),
 * every other one a PNG and the rest JPEGs (quality 90), in one subfolder per class, named after the sample's labels.
 */
export async function writeColourFolder(folder: string, sample: DatasetSample, count: number, width: number, height: number): Promise<void> {
  for (const label of sample.labelNames) mkdirSync(join(folder, folderName(label)), { recursive: true });
  await pool(count, 8, async (i) => {
    const index = i % sample.count;
    const image = sharp(colourImage(sample, index), { raw: { width: 28, height: 28, channels: 3 } }).resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
    const label = folderName(sample.labelNames[sample.labels[index]!]!);
    const name = `img${String(i).padStart(5, '0')}`;
    if (i % 2 === 0) await image.png().toFile(join(folder, label, `${name}.png`));
    else await image.jpeg({ quality: 90 }).toFile(join(folder, label, `${name}.jpg`));
  });
}

/** Ten variants of a 28×28 greyscale image: itself, mirrored, shifted by 2 px four ways, darker, brighter, mirrored and shifted, mirrored and darker. */
export function variant(pixels: Uint8Array, v: number): Uint8Array {
  const out = new Uint8Array(784);
  const [dx, dy, flip, gain] = ([[0, 0, false, 1], [0, 0, true, 1], [2, 0, false, 1], [-2, 0, false, 1], [0, 2, false, 1], [0, -2, false, 1], [0, 0, false, 0.75], [0, 0, false, 1.25], [1, 1, true, 1], [0, 0, true, 0.85]] as const)[v]!;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = (flip ? 27 - x : x) - dx;
      const sy = y - dy;
      const value = sx < 0 || sx > 27 || sy < 0 || sy > 27 ? 0 : pixels[sy * 28 + sx]!;
      out[y * 28 + x] = Math.min(255, Math.round(value * gain));
    }
  }
  return out;
}

/**
 * `count` 28×28 greyscale PNGs (up to 100,000: each of the sample's 10,000 images and up to nine variants of it),
 * in ten subfolders by class: "<class>/v<variant>-<index>.png".
 */
export async function writeGreyFolder(folder: string, sample: DatasetSample, count: number): Promise<void> {
  for (const label of sample.labelNames) mkdirSync(join(folder, folderName(label)), { recursive: true });
  await pool(count, 16, async (i) => {
    const index = i % sample.count;
    const v = Math.floor(i / sample.count) % 10;
    const pixels = variant(sample.pixels.subarray(index * 784, (index + 1) * 784), v);
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    await writeFile(join(folder, folderName(sample.labelNames[sample.labels[index]!]!), `v${v}-${String(index).padStart(5, '0')}.png`), png);
  });
}
