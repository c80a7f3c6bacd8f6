import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelsCsv } from '../../electron/engine/dataset/folderScan';
import { readDatasetSample } from '../../electron/engine/dataset/sample';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, freshConfigDir, ok, paths, realEngine } from '../helpers/engine';

type Tensor = { shape: number[]; data: Float32Array };
type Summary = { id: string; count: number; labels: string[]; labelCounts: number[]; skipped: { path: string; reason: string }[]; skippedCount: number; channels: number; width: number };
type Library = { models: { id: string; provider?: string }[] };

const CLASSES = { Trouser: 1, Sneaker: 7, Bag: 8 } as const;

/** A folder of the bundled sample's images as 40×40 RGB PNGs, `perClass` in each class's subfolder, plus files a folder really holds. */
async function makeFolder(perClass: number): Promise<{ folder: string; write(label: string, n: number, name: string): Promise<void> }> {
  const sample = await readDatasetSample(paths.datasetBinary, paths.datasetSidecar);
  const folder = mkdtempSync(join(tmpdir(), 'latent-studio-images-'));
  const used = new Map<number, number>();
  const write = async (label: string, n: number, name: string) => {
    const cls = CLASSES[label as keyof typeof CLASSES];
    let index = used.get(cls) ?? -1;
    for (let k = 0; k < n; k++) {
      do index++;
      while (sample.labels[index] !== cls);
      const gray = Buffer.from(sample.pixels.subarray(index * 784, (index + 1) * 784));
      mkdirSync(join(folder, label), { recursive: true });
      await sharp(gray, { raw: { width: 28, height: 28, channels: 1 } }).resize(40, 40).toColourspace('srgb').png().toFile(join(folder, label, `${name}${k}.png`));
    }
    used.set(cls, index);
  };
  for (const label of Object.keys(CLASSES)) await write(label, perClass, 'img');
  writeFileSync(join(folder, 'Bag', 'broken.png'), Buffer.from('definitely not a png'));
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  writeFileSync(join(folder, 'Sneaker', 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(join(folder, 'notes.txt'), 'not an image');
  writeFileSync(join(folder, '.hidden.png'), Buffer.from('hidden files are not read'));
  return { folder, write };
}

describe('a folder of images as a dataset', () => {
  let engine: Engine;
  let folder: string;
  let write: (label: string, n: number, name: string) => Promise<void>;
  const configDir = freshConfigDir();
  const call = (name: string, args: unknown, progress: unknown[] = [], signal?: AbortSignal) => dispatchCall(engine.handlers, name, args, callOptions(progress, signal));
  beforeAll(async () => {
    ({ folder, write } = await makeFolder(100));
    engine = await realEngine(configDir);
  });
  afterAll(async () => {
    await engine.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  let first: Summary;
  let codes: Tensor;
  it('is read with labels from its subfolders, unreadable files skipped and listed; its codes are encoded with progress', async () => {
    const progress: { done: number; total: number; skipped: number }[] = [];
    first = ok<Summary>(await call('dataset.openFolder', { path: folder }, progress));
    expect(first).toMatchObject({ count: 300, labels: ['Bag', 'Sneaker', 'Trouser'], labelCounts: [100, 100, 100], skippedCount: 2, channels: 3, width: 48 });
    expect(first.skipped.map((s) => s.path).sort()).toEqual(['Bag/broken.png', 'Sneaker/cut.jpg']);
    expect(first.skipped.find((s) => s.path === 'Bag/broken.png')!.reason).toBe('could not be read: it is not a PNG, JPEG or WebP image.');
    expect(progress.at(-1)).toEqual({ done: 302, total: 302, skipped: 2 });

    const steps: { done: number; total: number }[] = [];
    const encoded = ok<{ codes: Tensor; labels: number[] }>(await call('dataset.encode', { model: 'fmnist-vae', dataset: first.id }, steps));
    codes = encoded.codes;
    expect(codes.shape).toEqual([300, 16]);
    expect(steps.at(-1)).toEqual({ done: 300, total: 300 });
    expect(encoded.labels.filter((l) => l === 2)).toHaveLength(100);
    // The images reach the model as it takes them: 28×28 grey, fitted from 40×40 RGB.
    const { images } = ok<{ images: { shape: number[] } }>(await call('dataset.images', { dataset: first.id, indices: [0, 1], model: 'fmnist-vae' }));
    expect(images.shape).toEqual([2, 1, 28, 28]);
  });

  it("makes directions from the user's labels: a boundary between two of them, a mean difference, principal directions", async () => {
    const boundary = ok<{ accuracy: number; positives: number; negatives: number; vector: Tensor }>(await call('direction.labelBoundary', { model: 'fmnist-vae', dataset: first.id, positive: [2], negative: [1] }));
    expect(boundary).toMatchObject({ positives: 100, negatives: 100 });
    expect(boundary.accuracy).toBeGreaterThan(0.95);
    const mean = ok<{ positive: number; negative: number }>(await call('direction.meanDifference', { model: 'fmnist-vae', dataset: first.id, positive: { classes: [2] }, negative: { classes: [1] } }));
    expect(mean).toMatchObject({ positive: 100, negative: 100 });
    const principal = ok<{ vectors: Tensor }>(await call('direction.principal', { model: 'fmnist-vae', dataset: first.id, count: 3 }));
    expect(principal.vectors.shape).toEqual([3, 16]);
    const { percentile } = ok<{ percentile: number }>(await call('latent.typicality', { model: 'fmnist-vae', dataset: first.id, code: { dtype: 'float32', shape: [1, 16], data: codes.data.slice(0, 16) } }));
    expect(percentile).toBeGreaterThan(0);
    expect(await call('direction.labelBoundary', { model: 'fmnist-vae', dataset: first.id, positive: [7], negative: [1] })).toMatchObject({ ok: false, error: { field: 'args.positive' } });
  });

  it("applies an edit stack to many images, a dataset's or a folder's, writing PNGs that carry the edit", async () => {
    const output = mkdtempSync(join(tmpdir(), 'latent-studio-batch-'));
    const { vector } = ok<{ vector: Tensor }>(await call('direction.labelBoundary', { model: 'fmnist-vae', dataset: first.id, positive: [1], negative: [2] }));
    const edits = [{ direction: 'Trouser → Sneaker', amount: 2, vector: Array.from(vector.data) }];
    const progress: { done: number; total: number }[] = [];
    const fromDataset = ok<{ written: number; output: string }>(await call('edit.applyBatch', { model: 'fmnist-vae', source: { kind: 'dataset', dataset: first.id, indices: [0, 1, 2, 250] }, edits, output, scale: 2 }, progress));
    expect(fromDataset).toMatchObject({ written: 4, output });
    expect(progress.at(-1)).toEqual({ done: 4, total: 4, skipped: 0 });
    // Outputs keep the dataset's subfolders and names (its 250th image, in path order, is Trouser/img54.png); each is the edited image at 2×, with the edit embedded.
    const written = readFileSync(join(output, 'Trouser', 'img54.png'));
    expect(await sharp(written).metadata()).toMatchObject({ width: 56, height: 56 });
    const restored = ok<{ restored: { model: string; edits: { direction: string; amount: number }[] } }>(await call('image.import', { bytes: new Uint8Array(written), name: 'img54.png', model: 'fmnist-vae' }));
    expect(restored.restored).toMatchObject({ model: 'fmnist-vae', edits: [{ direction: 'Trouser → Sneaker', amount: 2 }] });

    const fromFolder = ok<{ written: number; skipped: { path: string }[]; skippedCount: number }>(await call('edit.applyBatch', { model: 'fmnist-vae', source: { kind: 'folder', path: join(folder, 'Sneaker') }, edits, output: join(output, 'sneakers') }));
    expect(fromFolder).toMatchObject({ written: 100, skippedCount: 1, skipped: [{ path: 'cut.jpg' }] });
    expect(await call('edit.applyBatch', { model: 'fmnist-vae', source: { kind: 'folder', path: folder }, edits, output: join(folder, 'out') })).toMatchObject({ ok: false, error: { field: 'args.output' } });
    expect(await call('edit.applyBatch', { model: 'fmnist-vae', source: { kind: 'dataset', dataset: first.id }, edits: [{ ...edits[0]!, vector: [1, 2] }], output })).toMatchObject({ ok: false, error: { field: 'args.edits.0.vector' } });
    rmSync(output, { recursive: true, force: true });
  });

  it('opens again from its cache in a new session without running the model, and takes in added and removed files only', async () => {
    await engine.dispose();
    engine = await realEngine(configDir);
    const listed = ok<{ datasets: Summary[] }>(await call('dataset.list', {}));
    expect(listed.datasets.map((d) => d.id)).toEqual(['bundled', 'bundled-emoji-64', first.id]);
    const again = ok<{ codes: Tensor }>(await call('dataset.encode', { model: 'fmnist-vae', dataset: first.id }));
    expect(Array.from(again.codes.data)).toEqual(Array.from(codes.data));
    // No session was created for the model: the codes came from the cache.
    expect(ok<Library>(await call('model.list', {})).models.find((m) => m.id === 'fmnist-vae')!.provider).toBeUndefined();

    await write('Trouser', 10, 'new');
    rmSync(join(folder, 'Bag', 'img0.png'));
    rmSync(join(folder, 'Bag', 'img1.png'));
    const updated = ok<Summary>(await call('dataset.openFolder', { path: folder }));
    expect(updated).toMatchObject({ id: first.id, count: 308, labelCounts: [98, 100, 110], skippedCount: 2 });
    const steps: { done: number }[] = [];
    const fresh = ok<{ codes: Tensor }>(await call('dataset.encode', { model: 'fmnist-vae', dataset: first.id }, steps));
    // 298 rows came from the cache, 10 were encoded.
    expect(steps[0]).toMatchObject({ done: 298 });
    expect(fresh.codes.shape).toEqual([308, 16]);
    // Bag lost its first two images; the rest keep their codes (Bag's rows come first, in path order).
    const order = (prefix: string, n: number) => Array.from({ length: n }, (_, k) => `${prefix}${k}.png`).sort();
    const bagBefore = order('Bag/img', 100);
    const bagAfter = bagBefore.filter((p) => p !== 'Bag/img0.png' && p !== 'Bag/img1.png');
    const row = bagAfter.indexOf('Bag/img5.png');
    const oldRow = bagBefore.indexOf('Bag/img5.png');
    expect(Array.from(fresh.codes.data.slice(row * 16, row * 16 + 16))).toEqual(Array.from(codes.data.slice(oldRow * 16, oldRow * 16 + 16)));
  });

  it('keeps its cached thumbnails and codes when the folder is gone, and says so', async () => {
    const moved = `${folder}-moved`;
    const { renameSync } = await import('node:fs');
    renameSync(folder, moved);
    try {
      await engine.dispose();
      engine = await realEngine(configDir);
      const gone = ok<{ datasets: (Summary & { problem?: string })[] }>(await call('dataset.list', {})).datasets.find((d) => d.id === first.id)!;
      expect(gone.problem).toMatch(/is gone or was moved: its cached thumbnails and codes are still here/);
      expect(ok<{ codes: Tensor }>(await call('dataset.encode', { model: 'fmnist-vae', dataset: first.id })).codes.shape).toEqual([308, 16]);
      expect(ok<{ images: { shape: number[] } }>(await call('dataset.images', { dataset: first.id, indices: [3] })).images.shape).toEqual([1, 3, 48, 48]);
      // A model that has not seen it yet needs the files: the error names one and what to do.
      expect(await call('dataset.encode', { model: 'fmnist-ae', dataset: first.id })).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringMatching(/Bag\/img10\.png was moved or deleted since .* was read: open the folder again/) } });
    } finally {
      renameSync(moved, folder);
    }
  });

  it('keeps what a cancelled read did, and a second open goes on from there', async () => {
    const other = await makeFolder(40);
    try {
      const controller = new AbortController();
      const progress: { done: number }[] = [];
      const stopped = await dispatchCall(engine.handlers, 'dataset.openFolder', { path: other.folder }, {
        ...callOptions(progress, controller.signal),
        onProgress: (p: unknown) => {
          progress.push(p as { done: number });
          if ((p as { done: number }).done >= 40) controller.abort();
        },
      });
      expect(stopped).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      // A second read of the same folder while one runs (another window) is refused, not interleaved with it.
      const [resumed, second] = await Promise.all([call('dataset.openFolder', { path: other.folder }), call('dataset.openFolder', { path: other.folder })]);
      expect(ok<Summary>(resumed).count).toBe(120);
      expect(second).toMatchObject({ ok: false, error: { message: expect.stringMatching(/is being read already/) } });

      // Opened again the moment a read is stopped (Stop, then Open at once): it waits for the stopped read to save, then reads.
      const third = await makeFolder(40);
      try {
        const stop = new AbortController();
        const first = dispatchCall(engine.handlers, 'dataset.openFolder', { path: third.folder }, {
          ...callOptions([], stop.signal),
          onProgress: (p: unknown) => {
            if ((p as { done: number }).done >= 16) stop.abort();
          },
        });
        await new Promise<void>((resolve) => {
          const wait = () => (stop.signal.aborted ? resolve() : setTimeout(wait, 1));
          wait();
        });
        const again = await call('dataset.openFolder', { path: third.folder });
        expect(await first).toMatchObject({ ok: false, error: { code: 'cancelled' } });
        expect(ok<Summary>(again).count).toBe(120);
      } finally {
        rmSync(third.folder, { recursive: true, force: true });
      }
    } finally {
      rmSync(other.folder, { recursive: true, force: true });
    }
  });

  it('reads every column of a labels.csv as a label set, named by its header, and colours can switch between them', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'latent-studio-csv-'));
    try {
      const rows = ['file,style,category'];
      for (let i = 0; i < 6; i++) {
        await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40 * i, g: 100, b: 200 - 30 * i } } }).png().toFile(join(folder, `e${i}.png`));
        // The last file has no category: it is "(no label)" in that set only.
        rows.push(i === 5 ? `e${i}.png,${i % 2 ? 'flat' : 'glossy'},` : `"e${i}.png",${i % 2 ? 'flat' : 'glossy'},${i < 3 ? 'face' : 'food'}`);
      }
      writeFileSync(join(folder, 'labels.csv'), rows.join('\r\n'));
      const summary = ok<Summary & { labelSets: { name: string; labels: string[] }[] }>(await call('dataset.openFolder', { path: folder }));
      expect(summary.labelSets).toEqual([
        { name: 'style', labels: ['flat', 'glossy'] },
        { name: 'category', labels: ['face', 'food', '(no label)'] },
      ]);
      expect(summary.labelCounts).toEqual([3, 3]);
      const category = ok<{ name: string; names: string[]; labels: number[] }>(await call('dataset.labels', { dataset: summary.id, set: 1 }));
      expect(category).toEqual({ name: 'category', names: ['face', 'food', '(no label)'], labels: [0, 0, 0, 1, 1, 2] });
      // A second launch reads the sets back from the cached index.
      await engine.dispose();
      engine = await realEngine(configDir);
      const listed = ok<{ datasets: (Summary & { labelSets: { name: string }[] })[] }>(await call('dataset.list', {})).datasets.find((d) => d.id === summary.id)!;
      expect(listed.labelSets.map((l) => l.name)).toEqual(['style', 'category']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('says so for an empty folder, a missing one and one with no readable image', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'latent-studio-empty-'));
    expect(await call('dataset.openFolder', { path: empty })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/holds no PNG, JPEG or WebP images/) } });
    writeFileSync(join(empty, 'bad.png'), 'x');
    expect(await call('dataset.openFolder', { path: empty })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/none of the 1 images .* could be read \(bad.png: /) } });
    expect(await call('dataset.openFolder', { path: join(empty, 'gone') })).toMatchObject({ ok: false, error: { code: 'not-found', field: 'args.path' } });
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('labels.csv', () => {
  it('names its columns "label", "label 2", … without a header, and keeps paths as the folder scan writes them', () => {
    const { labels, names } = parseLabelsCsv('.\\sub\\a.png,cat,red\r\nb.png,"dog, big"\n\nc.png\n');
    expect(names).toEqual(['label', 'label 2']);
    expect([...labels]).toEqual([
      ['sub/a.png', ['cat', 'red']],
      ['b.png', ['dog, big']],
    ]);
    expect(parseLabelsCsv('File,Label\na.png,x').names).toEqual(['Label']);
  });
});
