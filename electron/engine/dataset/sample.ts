import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { z } from 'zod';

/**
 * The dataset sample the explorer shows: a gzipped "LSDS" file of uint8
 * images and labels (format in models/train/make_dataset_sample.py), plus a
 * JSON sidecar with label names and the dataset's license notice.
 */
export interface DatasetSample {
  name: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  labels: Uint8Array;
  /** count × channels × height × width, image after image. */
  pixels: Uint8Array;
  labelNames: string[];
  /** What the labels are ("class", "design system"). */
  labelsName: string;
  /** Other ways the same images are labelled (an emoji's Unicode category), one value per image each. */
  otherLabels: { name: string; labelNames: string[]; labels: Uint8Array | Int32Array }[];
  license: string;
}

const MAGIC = 'LSDS0001';
const HEADER_BYTES = 8 + 4 * 4;

const SidecarSchema = z.object({
  name: z.string(),
  labels: z.array(z.string()).min(1),
  labelsName: z.string().optional(),
  labelSets: z.record(z.string(), z.object({ names: z.array(z.string()).min(1), values: z.array(z.int().nonnegative()) })).optional(),
  license: z.string(),
  notice: z.string().optional(),
});

export class DatasetFormatError extends Error {}

const gunzipAsync = promisify(gunzip);

type SampleData = Omit<DatasetSample, 'name' | 'labelNames' | 'labelsName' | 'otherLabels' | 'license'>;

const notGzip = (error: unknown) => new DatasetFormatError(`dataset sample is not gzip data: ${(error as Error).message}`);

export function parseDatasetSample(gzipped: Uint8Array): SampleData {
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gzipped);
  } catch (error) {
    throw notGzip(error);
  }
  return parseSampleBytes(bytes);
}

/**
 * parseDatasetSample with the decompression on libuv's pool: the app reads its bundled samples as the first window asks
 * for the dataset list, and gunzipSync held the engine's thread for about 70 ms a sample there (the replies of the
 * first sample grids waited behind it).
 */
async function parseDatasetSampleOffThread(gzipped: Uint8Array): Promise<SampleData> {
  let bytes: Uint8Array;
  try {
    bytes = await gunzipAsync(gzipped);
  } catch (error) {
    throw notGzip(error);
  }
  return parseSampleBytes(bytes);
}

function parseSampleBytes(bytes: Uint8Array): SampleData {
  if (bytes.length < HEADER_BYTES || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new DatasetFormatError(`dataset sample does not start with ${MAGIC}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [count, channels, height, width] = [8, 12, 16, 20].map((at) => view.getUint32(at, true)) as [number, number, number, number];
  const imageBytes = channels * height * width;
  const expected = HEADER_BYTES + count + count * imageBytes;
  if (bytes.length !== expected) {
    throw new DatasetFormatError(`dataset sample holds ${bytes.length} bytes; ${count} images of ${channels}×${height}×${width} need ${expected}`);
  }
  const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + count);
  const pixels = bytes.subarray(HEADER_BYTES + count);
  return { count, channels, height, width, labels, pixels };
}

export async function readDatasetSample(binaryPath: string, sidecarPath: string): Promise<DatasetSample> {
  const sidecar = SidecarSchema.parse(JSON.parse(await readFile(sidecarPath, 'utf8')));
  const data = await parseDatasetSampleOffThread(await readFile(binaryPath));
  const maxLabel = data.labels.reduce((m, l) => Math.max(m, l), 0);
  if (maxLabel >= sidecar.labels.length) {
    throw new DatasetFormatError(`dataset label ${maxLabel} has no name (${sidecar.labels.length} label names)`);
  }
  const otherLabels = Object.entries(sidecar.labelSets ?? {}).map(([name, set]) => {
    if (set.values.length !== data.count) throw new DatasetFormatError(`label set "${name}" holds ${set.values.length} values for ${data.count} images`);
    if (set.values.some((v) => v >= set.names.length)) throw new DatasetFormatError(`label set "${name}" has a value with no name (${set.names.length} names)`);
    return { name, labelNames: set.names, labels: Int32Array.from(set.values) };
  });
  return { ...data, name: sidecar.name, labelNames: sidecar.labels, labelsName: sidecar.labelsName ?? 'class', otherLabels, license: sidecar.notice ?? sidecar.license };
}
