import type { Metadata } from 'sharp';
import { EditMetadataSchema, type EditMetadata } from '../../api/contract';
import { ApiError } from '../../api/errors';
import { float32Tensor, unitBytes, type Float32Tensor, type Uint8Tensor } from '../../api/tensor';
import { byteTable } from './imageRange';
import { addTextChunk, isPng, readTextChunks } from './pngText';

/** libvips loads with the first image read or written, not with the engine: ~150 ms of every launch's module loading. */
let sharpModule: Promise<typeof import('sharp')['default']> | undefined;
const loadSharp = () =>
  (sharpModule ??= import('sharp').then(({ default: sharp }) => {
    // libvips' operation cache only pays when the same operation runs on the same image again, which never happens
    // here; keeping it cost 0.8 ms of CPU on every small file read (1.45 against 2.29 ms for a 96×80 PNG or JPEG).
    sharp.cache(false);
    return sharp;
  }));

/** Larger images are refused before they are decoded (a decompression bomb stops at the header). */
export const MAX_IMAGE_PIXELS = 50_000_000;
const FORMATS = ['png', 'jpeg', 'webp'] as const;
const METADATA_KEY = 'latent-studio';
/** Byte → [0, 1]. */
const UNIT = byteTable();

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
  /** The original image that export embedded, if any. */
  restoredOriginal?: Float32Tensor;
  /** Worth telling the user, though the import worked (a tiny image upscaled). */
  warnings: string[];
}

/** Format names as a person reads them, with their article. */
const FORMAT_NAMES: Record<string, string> = {
  svg: 'an SVG',
  gif: 'a GIF',
  tiff: 'a TIFF',
  heif: 'a HEIF or AVIF',
  jp2k: 'a JPEG 2000',
  jxl: 'a JPEG XL',
  pdf: 'a PDF',
  magick: 'an ImageMagick',
  openslide: 'a slide',
  fits: 'a FITS',
  ppm: 'a PPM',
  raw: 'a raw',
  vips: 'a VIPS',
  exr: 'an OpenEXR',
};
const formatName = (format: string | undefined) => (format ? (FORMAT_NAMES[format] ?? `a ${format.toUpperCase()}`) : 'an unknown');

/** libvips' decoder messages, said in words that help ("VipsJpeg: premature end of JPEG image" → ends early). */
function decodeProblem(message: string, format: string): string {
  const kind = format.toUpperCase();
  if (/premature end|unexpected end|truncat|end of (file|stream)|read error|not enough data|incomplete/i.test(message)) return `the ${kind} data ends early — the file may be truncated; export or download it again`;
  if (/corrupt|invalid|bad |crc|checksum|huffman|marker/i.test(message)) return `the ${kind} data is damaged; export or download it again`;
  return `its ${kind} data could not be decoded; try saving it again as PNG`;
}

const fail = (message: string) => new ApiError('bad-input', message, 'args.bytes');

/**
 * Reads a PNG, JPEG or WebP of any size and makes the image the model will
 * see: oriented by EXIF, transparent areas on black, converted to the model's
 * channels, fitted by centre-crop or letterbox, resized with Lanczos. Every
 * refusal is a sentence that names the file and says what to do.
 */
export async function importImage(bytes: Uint8Array, target: ImageTarget, fit: Fit, invert = false, name = 'The image'): Promise<ImportedImage> {
  if (bytes.length === 0) throw fail(`${name} is empty (0 bytes): choose another file.`);
  const sharp = await loadSharp();
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw fail(`${name} could not be read: it is not a PNG, JPEG or WebP image.`);
  }
  const format = FORMATS.find((f) => f === metadata.format);
  if (!format) throw fail(`${name} is ${formatName(metadata.format)} image; Latent Studio imports PNG, JPEG and WebP: save it as PNG first.`);
  const { width, height } = metadata.autoOrient ?? metadata;
  if (!width || !height) throw fail(`${name} could not be read: its header gives no width or height; the file is damaged.`);
  if (width * height > MAX_IMAGE_PIXELS) {
    const megapixels = ((width * height) / 1e6).toFixed(1);
    throw fail(`${name} is ${width}×${height} (${megapixels} megapixels); images above ${MAX_IMAGE_PIXELS / 1e6} megapixels are refused: scale it down first.`);
  }

  let pixels: Buffer;
  try {
    pixels = await (await fittingPipeline(bytes, target, fit, invert)).toBuffer();
  } catch (error) {
    throw fail(`${name} could not be read: ${decodeProblem((error as Error).message, format)}.`);
  }
  const input = new Float32Array(target.channels * target.width * target.height);
  writePlanes({ data: pixels, channels: pixels.length / (target.width * target.height) }, target, input, 0, UNIT);
  const warnings: string[] = [];
  // Under half the model's size, upscaling invents little but blur.
  if (width < target.width / 2 || height < target.height / 2)
    warnings.push(`${name} is ${width}×${height} px, smaller than the model's ${target.width}×${target.height}: it was upscaled, so results will look flat.`);
  const restored = isPng(bytes) ? readEditMetadata(bytes) : undefined;
  const restoredOriginal = restored?.original ? await decodeOriginal(restored.original) : undefined;
  return { format, width, height, modelInput: float32Tensor([1, target.channels, target.height, target.width], input), restored, restoredOriginal, warnings };
}

/** Decode, EXIF rotation, transparency on black, crop or letterbox, Lanczos, the model's channels: one libvips pipeline. */
async function fittingPipeline(bytes: Uint8Array, target: ImageTarget, fit: Fit, invert: boolean) {
  const sharp = await loadSharp();
  let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
    .rotate()
    .flatten({ background: '#000000' })
    .resize(target.width, target.height, { fit: fit === 'crop' ? 'cover' : 'contain', position: 'centre', background: '#000000', kernel: 'lanczos3' });
  pipeline = target.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  if (invert) pipeline = pipeline.negate({ alpha: false });
  return pipeline.raw();
}

const startsWith = (bytes: Uint8Array, at: number, signature: number[]) => signature.every((b, i) => bytes[at + i] === b);
const isImportable = (bytes: Uint8Array) =>
  startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47]) || startsWith(bytes, 0, [0xff, 0xd8, 0xff]) || (startsWith(bytes, 0, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, 8, [0x57, 0x45, 0x42, 0x50]));

/**
 * The image importImage would make, as interleaved 8-bit pixels, for readers of many files
 * (datasets, batch edits): one libvips call per file, no header read first. A file it cannot
 * take goes through importImage, so every refusal is the same sentence as for a single import.
 */
export async function fitPixels(bytes: Uint8Array, target: ImageTarget, fit: Fit, name = 'The image'): Promise<{ data: Buffer; channels: number }> {
  if (isImportable(bytes)) {
    try {
      const { data, info } = await (await fittingPipeline(bytes, target, fit, false)).toBuffer({ resolveWithObject: true });
      return { data, channels: info.channels };
    } catch {
      // importImage below says why
    }
  }
  const { modelInput } = await importImage(bytes, target, fit, false, name);
  return { data: Buffer.from(unitBytes(modelInput.data)), channels: target.channels };
}

/** Interleaved 8-bit pixels as channel planes at `offset` of `out`, each value through `table` (byte → the model's value). */
export function writePlanes(pixels: { data: Uint8Array; channels: number }, target: ImageTarget, out: Float32Array | Uint8Array, offset: number, table?: Float32Array): void {
  const plane = target.width * target.height;
  const { data, channels: stride } = pixels;
  for (let c = 0; c < target.channels; c++) {
    const from = Math.min(c, stride - 1);
    const base = offset + c * plane;
    if (table) for (let p = 0; p < plane; p++) out[base + p] = table[data[p * stride + from]!]!;
    else for (let p = 0; p < plane; p++) out[base + p] = data[p * stride + from]!;
  }
}

/** The original embedded by exportPng, back as a [1, c, h, w] tensor; undefined when it cannot be read. */
async function decodeOriginal(base64: string): Promise<Float32Tensor | undefined> {
  try {
    const sharp = await loadSharp();
    const { data, info } = await sharp(Buffer.from(base64, 'base64'), { limitInputPixels: MAX_IMAGE_PIXELS }).raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = info;
    const out = channels === 1 || channels === 2 ? 1 : 3;
    const tensor = new Float32Array(out * width * height);
    writePlanes({ data, channels }, { channels: out, height, width }, tensor, 0, UNIT);
    return float32Tensor([1, out, height, width], tensor);
  } catch {
    return undefined; // the edit still restores without its original
  }
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
  scale: 1 | 2 | 4 | 8;
  smooth: boolean;
  metadata?: EditMetadata;
  /** Embedded with the metadata, so a re-import shows where the edit started. */
  original?: Float32Tensor;
}

/** Lays out [n, c, h, w] images in [0, 1] side by side as interleaved 8-bit pixels (one row: a strip). */
export function tileImages(images: Float32Tensor | Uint8Tensor): { raw: Buffer; width: number; height: number; channels: 1 | 3 } {
  const [count, channels, height, width] = images.shape as [number, number, number, number];
  if (images.shape.length !== 4 || count < 1 || (channels !== 1 && channels !== 3)) {
    throw new ApiError('bad-input', `export takes images [n, 1 or 3, height, width]; got [${images.shape.join(', ')}]`, 'args.image.shape');
  }
  const plane = height * width;
  const stripWidth = width * count;
  const raw = Buffer.alloc(stripWidth * height * channels);
  // Bytes (model.preview, diffusion.preview) are the pixels already; floats are in [0, 1].
  const data = images.data;
  const bytes = data instanceof Uint8Array;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) {
        const x = n * width + (p % width);
        const y = Math.floor(p / width);
        const v = data[(n * channels + c) * plane + p]!;
        raw[(y * stripWidth + x) * channels + c] = bytes ? v : Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  return { raw, width: stripWidth, height, channels };
}

/** Images in [0, 1] as one PNG (a strip when there are several), upscaled by nearest-neighbour or Lanczos, with the edit embedded. */
export async function exportPng(images: Float32Tensor | Uint8Tensor, options: PngExportOptions): Promise<Uint8Array> {
  const { raw, width, height, channels } = tileImages(images);
  const sharp = await loadSharp();
  const png = await sharp(raw, { raw: { width, height, channels } })
    .resize(width * options.scale, height * options.scale, { kernel: options.smooth ? 'lanczos3' : 'nearest' })
    .png({ compressionLevel: 9 })
    .toBuffer();
  let metadata = options.metadata;
  if (metadata && options.original) {
    const { raw, width: w, height: h, channels: c } = tileImages(options.original);
    metadata = { ...metadata, original: (await sharp(raw, { raw: { width: w, height: h, channels: c } }).png({ compressionLevel: 9 }).toBuffer()).toString('base64') };
  }
  const bytes = metadata ? addTextChunk(png, METADATA_KEY, JSON.stringify(metadata)) : png;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
