import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { EditMetadata } from '../../api/contract';
import { ApiError } from '../../api/errors';
import { float32Tensor } from '../../api/tensor';
import { writeFileAtomic } from '../atomicWrite';
import type { Dataset, DatasetJob, SkippedFile } from '../dataset/dataset';
import { scanFolder } from '../dataset/folderScan';
import type { ModelHost } from '../models/host';
import { exportPng, importImage, type ImageTarget } from './imageIO';
import { decodeLatents, encodeImages } from './latentCodec';

export interface BatchEdit {
  direction: string;
  amount: number;
  vector: number[];
}

export type BatchSource = { kind: 'dataset'; dataset: Dataset; indices?: number[] } | { kind: 'folder'; path: string };

export interface BatchResult {
  written: number;
  output: string;
  skipped: SkippedFile[];
}

/** Images encoded, edited and decoded at once: enough to keep the graphs busy, few enough to stay small at 1024 px. */
const BATCH = 16;

/**
 * Applies one edit stack to many images, a dataset's (all, or some by index) or a folder's files,
 * and writes each result as a PNG into `output` (with the model, code, stack and original
 * embedded, as Edit's own export). Unreadable files are skipped and listed; files already in
 * `output` with the same name are replaced.
 */
export async function applyEditsToMany(
  host: ModelHost,
  modelId: string,
  source: BatchSource,
  edits: BatchEdit[],
  output: string,
  png: { scale: 1 | 2 | 4 | 8; smooth: boolean },
  job: DatasetJob,
): Promise<BatchResult> {
  const model = host.model(modelId);
  const { channels, height, width } = model.manifest.image;
  const target: ImageTarget = { channels, height, width };
  const dim = model.manifest.latent?.shape.reduce((a, b) => a * b, 1);
  if (!dim) throw new ApiError('bad-input', `model "${modelId}" has no latent space`, 'args.model');
  const bad = edits.findIndex((e) => e.vector.length !== dim);
  if (bad >= 0) throw new ApiError('bad-input', `direction "${edits[bad]!.direction}" has ${edits[bad]!.vector.length} values; "${modelId}" has codes of ${dim}`, `args.edits.${bad}.vector`);
  const out = resolve(output);
  const read = source.kind === 'folder' ? source.path : source.dataset.folder;
  if (read && isInside(resolve(read), out)) {
    throw new ApiError('bad-input', 'write the results outside the folder they are read from, so they are not read back as inputs', 'args.output');
  }
  await mkdir(out, { recursive: true }).catch((error: Error) => {
    throw new ApiError('bad-input', `${out} cannot be written: ${error.message}`, 'args.output');
  });

  // What to read: names (for the outputs) and how to load a run of them, fitted to the model.
  let names: string[];
  let load: (from: number, to: number) => Promise<{ images: Float32Array; kept: number[] }>;
  const skipped: SkippedFile[] = [];
  if (source.kind === 'dataset') {
    const { dataset } = source;
    const indices = source.indices ?? Array.from({ length: dataset.count }, (_, i) => i);
    const missing = indices.findIndex((i) => i >= dataset.count);
    if (missing >= 0) throw new ApiError('not-found', `image ${indices[missing]} does not exist (${dataset.name} has ${dataset.count})`, `args.source.indices.${missing}`);
    names = indices.map((i) => dataset.outputName(i));
    load = async (from, to) => ({ images: await dataset.modelImages(target, indices.slice(from, to)), kept: indices.slice(from, to).map((_, k) => from + k) });
  } else {
    const root = resolve(source.path);
    if (!(await stat(root).catch(() => undefined))?.isDirectory()) throw new ApiError('not-found', `${root} is not a folder`, 'args.source.path');
    const files = (await scanFolder(root)).files;
    if (files.length === 0) throw new ApiError('bad-input', `${root} holds no PNG, JPEG or WebP images (subfolders included)`, 'args.source.path');
    names = files.map((f) => f.path.replace(/\.[^./]+$/, ''));
    load = async (from, to) => {
      const size = channels * height * width;
      const images = new Float32Array((to - from) * size);
      const kept: number[] = [];
      for (let i = from; i < to; i++) {
        try {
          const image = await importImage(await readFile(join(root, files[i]!.path)), target, 'crop', false, files[i]!.path);
          images.set(image.modelInput.data, kept.length * size);
          kept.push(i);
        } catch (error) {
          skipped.push({ path: files[i]!.path, reason: (error as Error).message.replace(`${files[i]!.path} `, '') });
        }
      }
      return { images: images.subarray(0, kept.length * size), kept };
    };
  }

  const delta = new Float32Array(dim);
  for (const e of edits) for (let j = 0; j < dim; j++) delta[j]! += e.amount * e.vector[j]!;
  const stack = edits.filter((e) => e.amount !== 0);
  const pixels = channels * height * width;
  let written = 0;
  for (let from = 0; from < names.length; from += BATCH) {
    if (job.signal.aborted) throw new ApiError('cancelled', `stopped after writing ${written} images to ${out}`);
    const to = Math.min(names.length, from + BATCH);
    const { images, kept } = await load(from, to);
    if (kept.length > 0) {
      const originals = float32Tensor([kept.length, channels, height, width], images);
      const { mean } = await encodeImages(host, modelId, originals);
      const edited = mean.data.map((v, i) => v + delta[i % dim]!);
      const decoded = await decodeLatents(host, modelId, float32Tensor([kept.length, dim], edited));
      for (const [k, item] of kept.entries()) {
        const metadata: EditMetadata = { model: modelId, latent: { shape: [1, dim], data: Array.from(mean.data.subarray(k * dim, (k + 1) * dim)) }, edits: stack };
        const bytes = await exportPng(float32Tensor([1, ...decoded.shape.slice(1)], decoded.data.slice(k * pixels, (k + 1) * pixels)), {
          ...png,
          metadata,
          original: float32Tensor([1, channels, height, width], images.slice(k * pixels, (k + 1) * pixels)),
        });
        const path = join(out, `${names[item]!}.png`.split('/').join(sep));
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, bytes);
        written++;
      }
    }
    job.progress({ done: to, total: names.length, skipped: skipped.length });
  }
  return { written, output: out, skipped };
}

const isInside = (folder: string, path: string) => path === folder || path.startsWith(folder + sep);
