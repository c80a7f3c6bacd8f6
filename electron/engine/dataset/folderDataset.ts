import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import { writeFileAtomic } from '../atomicWrite';
import type { ModelHost } from '../models/host';
import { fitPixels, writePlanes, type ImageTarget } from '../ops/imageIO';
import { byteTable, type Range } from '../ops/imageRange';
import { encodeInRange, encoderRole } from '../ops/latentCodec';
import type { SessionMode } from '../runtime/sessions';
import { NO_LABEL, scanFolder } from './folderScan';
import type { Dataset, DatasetJob, LabelSet, SkippedFile } from './dataset';

/** Thumbnails are kept at one size for every folder: what hover and pick lists show. */
export const THUMB: ImageTarget = { channels: 3, height: 48, width: 48 };
const THUMB_BYTES = THUMB.channels * THUMB.height * THUMB.width;
/** Files above this are skipped unread: no photograph a model takes is that large. */
const MAX_FILE_BYTES = 200 * 1024 * 1024;
/** Thumbnails made at once while a folder is read: sharp works off the main thread, so a few in flight keep the cores busy. */
const PARALLEL = 8;
/**
 * Files fitted at once for an encoder, half the cores (up to 8): the other half runs the encoder. On 2 cores one file at
 * a time fits as fast as two or eight in flight (1.44 ms a 96×80 file either way) for half the CPU (1.45 ms against 2.3
 * and 3.0), which the encoder beside it needs: a 64 px folder's fitting took 1.9–2.4 ms of CPU an image in place of 3.8.
 */
const FIT_PARALLEL = Math.max(1, Math.min(8, Math.floor(availableParallelism() / 2)));
/** A folder with more images to encode than this many batches gets a steady session for the job (SessionMode). */
const STEADY_AFTER_BATCHES = 3;
/** How long a job's steady session waits for another job before it is released. */
const STEADY_KEEP_MS = 60_000;
/** How often long jobs save what they have, so a cancel or a crash loses at most this much work. */
const CHECKPOINT_MS = 3000;

const IndexSchema = z.object({
  version: z.literal(1),
  folder: z.string(),
  labelSource: z.enum(['labels.csv', 'subfolders', 'none']),
  /** The label columns' names (labels.csv's header), the first naming `label`; absent in indexes written before there were several. */
  labelNames: z.array(z.string()).optional(),
  entries: z.array(z.object({ path: z.string(), size: z.number(), mtimeMs: z.number(), label: z.string(), more: z.array(z.string()).optional(), row: z.int().nonnegative() })),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  indexedAt: z.string(),
});
type DatasetIndex = z.infer<typeof IndexSchema>;
type Entry = DatasetIndex['entries'][number];

const CodesMetaSchema = z.object({ version: z.literal(1), model: z.string(), fingerprint: z.string(), dim: z.int().positive(), keys: z.array(z.string()) });

/** The id a folder keeps across launches: a hash of its absolute path. */
export const folderDatasetId = (folder: string) => `folder-${createHash('sha256').update(resolve(folder)).digest('hex').slice(0, 12)}`;
const keyOf = (e: { path: string; size: number; mtimeMs: number }) => `${e.path}\u0000${e.size}\u0000${e.mtimeMs}`;

/**
 * A folder of the user's images as a dataset. Opening it indexes the folder (labels, a
 * thumbnail per image, unreadable files listed and skipped); codes under each model are
 * encoded on demand. Both are cached in the app's folder, keyed by the folder's path, by each
 * file's path, size and modification time, and by the model's fingerprint, so a second open
 * costs nothing and a changed folder re-reads only its new or changed files.
 */
export class FolderDataset implements Dataset {
  readonly source = 'folder';
  readonly thumb = THUMB;
  readonly license = 'your own images';
  readonly labels: Int32Array;
  readonly labelNames: string[];
  readonly labelSets: LabelSet[];

  private constructor(
    readonly id: string,
    readonly folder: string,
    private readonly cacheDir: string,
    private readonly index: DatasetIndex,
  ) {
    const primary = labelSet(index.labelNames?.[0] ?? (index.labelSource === 'labels.csv' ? 'label' : 'folder'), index.entries.map((e) => e.label));
    this.labelNames = primary.labelNames;
    this.labels = primary.labels;
    const more = (index.labelNames ?? []).slice(1).map((name, k) => labelSet(name, index.entries.map((e) => e.more?.[k] ?? NO_LABEL)));
    this.labelSets = [primary, ...more];
  }

  get name(): string {
    return basename(this.folder);
  }
  get count(): number {
    return this.index.entries.length;
  }
  get skipped(): SkippedFile[] {
    return this.index.skipped;
  }
  get labelSource() {
    return this.index.labelSource;
  }
  /** Said on the dataset's card when the folder has gone since it was indexed. */
  get problem(): string | undefined {
    return existsSync(this.folder) ? undefined : `${this.folder} is gone or was moved: its cached thumbnails and codes are still here; open the folder again from where it is now`;
  }

  /** The dataset as last indexed, without reading the folder; undefined if it was never indexed. */
  static async fromCache(folder: string, cacheRoot: string): Promise<FolderDataset | undefined> {
    const id = folderDatasetId(folder);
    const cacheDir = join(cacheRoot, id);
    const index = await readIndex(cacheDir);
    return index ? new FolderDataset(id, resolve(folder), cacheDir, index) : undefined;
  }

  /** Indexes the folder as a job; unchanged files keep their thumbnails, and a cancelled run keeps what it did. */
  static async open(folder: string, cacheRoot: string, job: DatasetJob): Promise<FolderDataset> {
    const root = resolve(folder);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) throw new ApiError('not-found', `${root} is not a folder`, 'args.path');
    const id = folderDatasetId(root);
    const cacheDir = join(cacheRoot, id);
    await mkdir(cacheDir, { recursive: true });
    const scan = await scanFolder(root);
    if (scan.files.length === 0) throw new ApiError('bad-input', `${root} holds no PNG, JPEG or WebP images (subfolders included)`, 'args.path');

    const previous = await readIndex(cacheDir);
    const known = new Map((previous?.entries ?? []).map((e) => [keyOf(e), e]));
    const knownSkipped = new Map((previous?.skipped ?? []).map((s) => [s.path, s]));
    const thumbsPath = join(cacheDir, 'thumbs.bin');
    const thumbs = await open(thumbsPath, 'a+');
    let rows = Math.floor((await thumbs.stat()).size / THUMB_BYTES);
    const entries: Entry[] = [];
    const skipped: SkippedFile[] = [];
    const total = scan.files.length;
    let lastSave = performance.now();
    const save = (done: number) =>
      writeIndex(cacheDir, {
        version: 1,
        folder: root,
        labelSource: scan.labelSource,
        labelNames: scan.labelNames,
        // Files not reached yet keep their earlier thumbnails, so a resumed run reuses them.
        entries: [...entries, ...scan.files.slice(done).flatMap((f) => known.get(keyOf(f)) ?? [])],
        skipped,
        indexedAt: new Date().toISOString(),
      });
    try {
      for (let start = 0; start < total; start += PARALLEL) {
        if (job.signal.aborted) {
          await save(start);
          throw new ApiError('cancelled', 'reading the folder was cancelled; open it again to go on where it stopped');
        }
        const chunk = scan.files.slice(start, start + PARALLEL);
        const results = await Promise.all(
          chunk.map(async (file) => {
            const reuse = known.get(keyOf(file));
            if (reuse) return { entry: { ...reuse, label: file.label, more: file.more } };
            const before = knownSkipped.get(file.path);
            if (before && previous && !known.has(keyOf(file)) && (await unchangedSince(join(root, file.path), previous.indexedAt))) return { skip: before };
            try {
              return { pixels: await thumbnailOf(join(root, file.path), file.path, file.size) };
            } catch (error) {
              return { skip: { path: file.path, reason: (error as Error).message } };
            }
          }),
        );
        for (const [i, result] of results.entries()) {
          const file = chunk[i]!;
          if ('entry' in result && result.entry) entries.push(result.entry);
          else if ('skip' in result && result.skip) skipped.push(result.skip);
          else if ('pixels' in result && result.pixels) {
            await thumbs.write(result.pixels, 0, THUMB_BYTES, rows * THUMB_BYTES);
            entries.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs, label: file.label, more: file.more, row: rows++ });
          }
        }
        job.progress({ done: Math.min(start + PARALLEL, total), total, skipped: skipped.length });
        if (performance.now() - lastSave > CHECKPOINT_MS) {
          await save(start + chunk.length);
          lastSave = performance.now();
        }
      }
    } finally {
      await thumbs.close();
    }
    if (entries.length === 0) {
      await save(total);
      throw new ApiError('bad-input', `none of the ${total} images in ${root} could be read (${skipped[0]!.path}: ${skipped[0]!.reason})`, 'args.path');
    }
    const index: DatasetIndex = { version: 1, folder: root, labelSource: scan.labelSource, labelNames: scan.labelNames, entries, skipped, indexedAt: new Date().toISOString() };
    await compactThumbnails(cacheDir, index, rows);
    await writeIndex(cacheDir, index);
    return new FolderDataset(id, root, cacheDir, index);
  }

  outputName(index: number): string {
    return this.index.entries[index]!.path.replace(/\.[^./]+$/, '');
  }

  async thumbnails(indices: number[]): Promise<Uint8Array> {
    const out = new Uint8Array(indices.length * THUMB_BYTES);
    const file = await open(join(this.cacheDir, 'thumbs.bin'), 'r');
    try {
      for (const [i, index] of indices.entries()) await file.read(out, i * THUMB_BYTES, THUMB_BYTES, this.index.entries[index]!.row * THUMB_BYTES);
    } finally {
      await file.close();
    }
    return out;
  }

  /** Images fitted to a model's input as an imported image is (centre crop, the model's channels), [n, c, h, w] in [0, 1] or in `range`. */
  async modelImages(target: ImageTarget, indices: number[], range?: Range): Promise<Float32Array> {
    const size = target.channels * target.height * target.width;
    const out = new Float32Array(indices.length * size);
    const table = byteTable(range);
    // A pool of FIT_PARALLEL reads, each written into the batch as soon as it is fitted. A failure stops the
    // pool; once the reads in flight settle, the first failing image in batch order is the one reported,
    // so the message does not depend on which read happened to finish first.
    let next = 0;
    const failures = new Map<number, unknown>();
    const worker = async () => {
      for (let i = next++; i < indices.length && failures.size === 0; i = next++) {
        try {
          writePlanes(await this.fitted(indices[i]!, target), target, out, i * size, table);
        } catch (error) {
          failures.set(i, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIT_PARALLEL, indices.length) }, worker));
    if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
    return out;
  }

  private async fitted(index: number, target: ImageTarget) {
    const entry = this.index.entries[index]!;
    const bytes = await readFile(join(this.folder, entry.path)).catch(() => {
      throw new ApiError('not-found', `${entry.path} was moved or deleted since ${this.name} was read: open the folder again to update it (the codes already encoded are kept)`, 'args.dataset');
    });
    return fitPixels(bytes, target, 'crop', entry.path);
  }

  /** The dataset's codes under a model: cached ones read back, the rest encoded in batches (checkpointed as they go). */
  async encode(host: ModelHost, modelId: string, batchSize: number, job: DatasetJob): Promise<Float32Tensor> {
    const model = host.model(modelId);
    const role = encoderRole(model);
    const latent = model.manifest.latent!.shape;
    const dim = latent.reduce((a, b) => a * b, 1);
    const fingerprint = (await host.fingerprint(modelId)) ?? modelId;
    const base = join(this.cacheDir, `codes-${createHash('sha256').update(fingerprint).digest('hex').slice(0, 16)}`);
    const codes = new Float32Array(this.count * dim);
    const done = new Uint8Array(this.count);
    const cached = await readCodes(base, dim);
    const keys = this.index.entries.map(keyOf);
    if (cached) {
      const rows = new Map(cached.keys.map((k, i) => [k, i]));
      keys.forEach((key, i) => {
        const row = rows.get(key);
        if (row === undefined) return;
        codes.set(cached.data.subarray(row * dim, (row + 1) * dim), i * dim);
        done[i] = 1;
      });
    }
    const todo = keys.map((_, i) => i).filter((i) => !done[i]);
    let finished = this.count - todo.length;
    const save = () => writeCodes(base, { version: 1, model: modelId, fingerprint, dim, keys: keys.filter((_, i) => done[i]) }, codes, done, dim);
    job.progress({ done: finished, total: this.count });
    let lastSave = performance.now();
    const { channels, height, width, range } = model.manifest.image;
    // The next batch's files are read and fitted (sharp, on libuv's threads) while this one is encoded,
    // straight into the model's range.
    const read = (start: number) => (start < todo.length ? this.modelImages({ channels, height, width }, todo.slice(start, start + batchSize), range) : undefined);
    let next = read(0);
    next?.catch(() => {});
    // Many batches get a session of their own that does not spin (see SessionMode), released a minute after the job
    // unless another job takes it up; a few batches are not worth loading one for.
    const mode: SessionMode = todo.length > STEADY_AFTER_BATCHES * batchSize ? 'steady' : 'interactive';
    try {
      for (let start = 0; start < todo.length; start += batchSize) {
        if (job.signal.aborted) {
          await save();
          throw new ApiError('cancelled', 'encoding was cancelled; the codes encoded so far are kept');
        }
        const batch = todo.slice(start, start + batchSize);
        let images: Float32Array;
        try {
          images = await next!;
        } catch (error) {
          await save();
          throw error;
        }
        next = read(start + batchSize);
        next?.catch(() => {});
        const { mean } = await encodeInRange(host, model, role, float32Tensor([batch.length, channels, height, width], images), mode);
        batch.forEach((index, i) => {
          codes.set(mean.data.subarray(i * dim, (i + 1) * dim), index * dim);
          done[index] = 1;
        });
        finished += batch.length;
        job.progress({ done: finished, total: this.count });
        if (performance.now() - lastSave > CHECKPOINT_MS) {
          await save();
          lastSave = performance.now();
        }
      }
    } finally {
      if (mode === 'steady') host.releaseWhenIdle(model, role, mode, STEADY_KEEP_MS);
    }
    if (todo.length > 0 || (cached && cached.keys.length !== keys.length)) await save();
    return float32Tensor([this.count, ...latent], codes);
  }
}

/** One label column as numbers: names sorted, "(no label)" last. */
function labelSet(name: string, values: string[]): LabelSet & { labels: Int32Array } {
  const sorted = [...new Set(values)].sort((a, b) => (a === NO_LABEL ? 1 : b === NO_LABEL ? -1 : a.localeCompare(b)));
  const labelNames = sorted.length ? sorted : [NO_LABEL];
  const numbers = new Map(labelNames.map((n, i) => [n, i]));
  return { name, labelNames, labels: Int32Array.from(values, (v) => numbers.get(v)!) };
}

async function readIndex(cacheDir: string): Promise<DatasetIndex | undefined> {
  const text = await readFile(join(cacheDir, 'index.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return IndexSchema.parse(JSON.parse(text));
  } catch {
    // A damaged index is rebuilt by the next open; nothing else depends on it.
    return undefined;
  }
}

const writeIndex = (cacheDir: string, index: DatasetIndex) => writeFileAtomic(join(cacheDir, 'index.json'), JSON.stringify(index));

async function unchangedSince(path: string, when: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return !!info && info.mtimeMs <= Date.parse(when);
}

/** A 48×48 RGB thumbnail (centre crop), channel planes like the bundled dataset's pixels; unreadable files throw a sentence. */
async function thumbnailOf(path: string, name: string, size: number): Promise<Uint8Array> {
  if (size > MAX_FILE_BYTES) throw new Error(`${(size / 2 ** 20).toFixed(0)} MB: files above ${MAX_FILE_BYTES / 2 ** 20} MB are skipped`);
  const bytes = await readFile(path);
  try {
    const thumb = new Uint8Array(THUMB_BYTES);
    writePlanes(await fitPixels(bytes, THUMB, 'crop', name), THUMB, thumb, 0);
    return thumb;
  } catch (error) {
    // The list names the file already: "could not be read: it is not a PNG, JPEG or WebP image."
    throw new Error((error as Error).message.replace(`${name} `, ''));
  }
}

/** Rewrites thumbs.bin without the rows of files that left the folder, once they are over half of it. */
async function compactThumbnails(cacheDir: string, index: DatasetIndex, rows: number): Promise<void> {
  if (rows <= 2 * index.entries.length) return;
  const path = join(cacheDir, 'thumbs.bin');
  const fresh = `${path}.new`;
  let source: FileHandle | undefined;
  let target: FileHandle | undefined;
  try {
    source = await open(path, 'r');
    target = await open(fresh, 'w');
    const row = new Uint8Array(THUMB_BYTES);
    for (const [i, entry] of index.entries.entries()) {
      await source.read(row, 0, THUMB_BYTES, entry.row * THUMB_BYTES);
      await target.write(row, 0, THUMB_BYTES, i * THUMB_BYTES);
      entry.row = i;
    }
    await target.sync();
  } finally {
    await source?.close();
    await target?.close();
  }
  await rename(fresh, path);
}

async function readCodes(base: string, dim: number): Promise<{ keys: string[]; data: Float32Array } | undefined> {
  try {
    const meta = CodesMetaSchema.parse(JSON.parse(await readFile(`${base}.json`, 'utf8')));
    const bytes = await readFile(`${base}.bin`);
    if (meta.dim !== dim || bytes.length !== meta.keys.length * dim * 4) return undefined;
    return { keys: meta.keys, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
  } catch {
    return undefined;
  }
}

/** The encoded rows (in the dataset's order), then the metadata naming them: the metadata's presence says the rows are whole. */
async function writeCodes(base: string, meta: z.infer<typeof CodesMetaSchema>, codes: Float32Array, done: Uint8Array, dim: number): Promise<void> {
  const rows = new Float32Array(meta.keys.length * dim);
  let r = 0;
  for (let i = 0; i < done.length; i++) if (done[i]) rows.set(codes.subarray(i * dim, (i + 1) * dim), r++ * dim);
  await writeFileAtomic(`${base}.bin`, new Uint8Array(rows.buffer));
  await writeFileAtomic(`${base}.json`, JSON.stringify(meta));
}
