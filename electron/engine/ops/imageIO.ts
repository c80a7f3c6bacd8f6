import sharp, { type Metadata } from 'sharp';
import { EditMetadataSchema, type EditMetadata } from '../../api/contract';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { addTextChunk, isPng, readTextChunks } from './pngText';

/** Larger images are refused before they are decoded (a decompression bomb stops at the header). */
export const MAX_IMAGE_PIXELS = 50_000_000;
const FORMATS = ['png', 'jpeg', 'webp'] as const;
const METADATA_KEY = 'latent-studio';

export interface ImageTarget {
  channels: 1 | 3;
  height: number;
  width: number;
}

export type Fit = 'crop' | 'letterbox';


export interface ImportedImage {
  format: (typeof FORMATS)[number];
  /** Size after EXIF orientation. */
  width: number;
  height: number;
  /** What the model sees: [1, channels, height, width] in [0, 1]. */
  modelInput: Float32Tensor;
  /** The edit embedded by an earlier export, if any. */
  restored?: EditMetadata;
}

/**
 * Reads a PNG, JPEG or WebP of any size and makes the image the model will
 * see: oriented by EXIF, transparent areas on black, converted to the model's
 * channels, fitted by centre-crop or letterbox, resized with Lanczos.
 */
export async function importImage(bytes: Uint8Array, target: ImageTarget, fit: Fit, invert = false): Promise<ImportedImage> {
  if (bytes.length === 0) throw new ApiError('bad-input', 'the file is empty', 'args.bytes');
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ApiError('bad-input', 'this file is not an image Latent Studio can read; use PNG, JPEG or WebP', 'args.bytes');
  }
  const format = FORMATS.find((f) => f === metadata.format);
  if (!format) throw new ApiError('bad-input', `this is a ${metadata.format ?? 'unknown'} image; Latent Studio imports PNG, JPEG and WebP`, 'args.bytes');
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) throw new ApiError('bad-input', 'the image has no size', 'args.bytes');
  if (width * height > MAX_IMAGE_PIXELS) {
    const megapixels = ((width * height) / 1e6).toFixed(1);
    throw new ApiError('bad-input', `the image is ${width}×${height} (${megapixels} megapixels); images above ${MAX_IMAGE_PIXELS / 1e6} megapixels are refused`, 'args.bytes');
  }

  let pixels: Buffer;
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .flatten({ background: '#000000' })
      .resize(target.width, target.height, { fit: fit === 'crop' ? 'cover' : 'contain', position: 'centre', background: '#000000', kernel: 'lanczos3' });
    pipeline = target.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
    if (invert) pipeline = pipeline.negate({ alpha: false });
    pixels = await pipeline.raw().toBuffer();
  } catch (error) {
    throw new ApiError('bad-input', `the image could not be decoded (the file may be damaged or truncated): ${(error as Error).message}`, 'args.bytes');
  }
  const plane = target.width * target.height;
  const channelsOut = pixels.length / plane;
  const input = new Float32Array(target.channels * plane);
  for (let c = 0; c < target.channels; c++) {
    for (let p = 0; p < plane; p++) input[c * plane + p] = pixels[p * channelsOut + Math.min(c, channelsOut - 1)]! / 255;
  }
  return { format, width, height, modelInput: float32Tensor([1, target.channels, target.height, target.width], input), restored: isPng(bytes) ? readEditMetadata(bytes) : undefined };
}

function readEditMetadata(png: Uint8Array): EditMetadata | undefined {
  const text = readTextChunks(png).get(METADATA_KEY);
  if (!text) return undefined;
  try {
    const parsed = EditMetadataSchema.parse(JSON.parse(text));
    const size = parsed.latent.shape.reduce((a, b) => a * b, 1);
    return size === parsed.latent.data.length ? parsed : undefined;
  } catch {
    return undefined; // a damaged or foreign note: the pixels still import
  }
}

export interface PngExportOptions {
  scale: 1 | 4 | 8;
  smooth: boolean;
  metadata?: EditMetadata;
}

/** Lays out [n, c, h, w] images in [0, 1] side by side as interleaved 8-bit pixels (one row: a strip). */
export function tileImages(images: Float32Tensor): { raw: Buffer; width: number; height: number; channels: 1 | 3 } {
  const [count, channels, height, width] = images.shape as [number, number, number, number];
  if (images.shape.length !== 4 || count < 1 || (channels !== 1 && channels !== 3)) {
    throw new ApiError('bad-input', `export takes images [n, 1 or 3, height, width]; got [${images.shape.join(', ')}]`, 'args.image.shape');
  }
  const plane = height * width;
  const stripWidth = width * count;
  const raw = Buffer.alloc(stripWidth * height * channels);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) {
        const x = n * width + (p % width);
        const y = Math.floor(p / width);
        const v = images.data[(n * channels + c) * plane + p]!;
        raw[(y * stripWidth + x) * channels + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  return { raw, width: stripWidth, height, channels };
}

/** Images in [0, 1] as one PNG (a strip when there are several), upscaled by nearest-neighbour or Lanczos, with the edit embedded. */
export async function exportPng(images: Float32Tensor, options: PngExportOptions): Promise<Uint8Array> {
  const { raw, width, height, channels } = tileImages(images);
  const png = await sharp(raw, { raw: { width, height, channels } })
    .resize(width * options.scale, height * options.scale, { kernel: options.smooth ? 'lanczos3' : 'nearest' })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const bytes = options.metadata ? addTextChunk(png, METADATA_KEY, JSON.stringify(options.metadata)) : png;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
