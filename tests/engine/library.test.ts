import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { loadOrder, ModelHost } from '../../electron/engine/models/host';
import { float32Tensor } from '../../electron/api/tensor';
import { callOptions, freshConfigDir, ok, paths, realEngine } from '../helpers/engine';

const call = (engine: Engine, name: string, args: unknown, client = 1) => dispatchCall(engine.handlers, name, args, callOptions([], undefined, client));

/** A user's model folder: the bundled classifier under another id. */
function userModelFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'user-models-'));
  const dir = join(root, 'my-classifier');
  mkdirSync(dir);
  const source = join(paths.models, 'fmnist-classifier');
  copyFileSync(join(source, 'classifier.onnx'), join(dir, 'classifier.onnx'));
  const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, id: 'my-classifier', name: 'My classifier' }));
  return root;
}

describe('the model library', () => {
  it('adds a user folder, remembers it across launches, and removes it', async () => {
    const configDir = freshConfigDir();
    const folder = userModelFolder();
    const first = await realEngine(configDir);
    const added = ok<{ models: { id: string; source: string }[]; userFolders: string[] }>(await call(first, 'library.addFolder', { path: folder }));
    expect(added.userFolders).toEqual([folder]);
    expect(added.models.find((m) => m.id === 'my-classifier')?.source).toBe('user');
    await first.dispose();

    const second = await realEngine(configDir);
    const info = ok<{ models: { id: string }[]; userFolders: string[] }>(await call(second, 'app.info', {}));
    expect(info.userFolders).toEqual([folder]);
    expect(info.models.map((m) => m.id)).toContain('my-classifier');
    const removed = ok<{ models: { id: string }[]; userFolders: string[] }>(await call(second, 'library.removeFolder', { path: folder }));
    expect(removed.userFolders).toEqual([]);
    expect(removed.models.map((m) => m.id)).not.toContain('my-classifier');
    const missing = await call(second, 'library.addFolder', { path: join(folder, 'nope') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found', field: 'args.path' } });
    await second.dispose();
  });

  it('a manifest may name the dataset folder a model ships with and its classifier; a missing folder or a classifier of other images is a problem on its card', async () => {
    const root = mkdtempSync(join(tmpdir(), 'user-models-'));
    const make = (id: string, extra: Record<string, unknown>, from = 'fmnist-vae') => {
      const dir = join(root, id);
      mkdirSync(dir);
      const source = join(paths.models, from);
      const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));
      for (const graph of Object.values(manifest.graphs) as { file: string }[]) copyFileSync(join(source, graph.file), join(dir, graph.file));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, id, name: id, ...extra }));
      return dir;
    };
    const shipping = make('ships-images', { dataset: 'images', classifier: 'fmnist-classifier' });
    mkdirSync(join(shipping, 'images'));
    make('no-images', { dataset: 'images' });
    make('escapes', { dataset: '../elsewhere' });
    make('wrong-classifier', { classifier: 'fmnist-vae' });
    const engine = await realEngine();
    const library = ok<{ models: { id: string; dataset?: string; classifier?: string }[]; problems: { folder: string; field?: string; message: string }[] }>(await call(engine, 'library.addFolder', { path: root }));
    expect(library.models.find((m) => m.id === 'ships-images')).toMatchObject({ dataset: join(shipping, 'images'), classifier: 'fmnist-classifier' });
    const problem = (id: string) => library.problems.find((p) => p.folder === join(root, id));
    expect(problem('no-images')).toMatchObject({ field: 'dataset', message: 'dataset: the folder images is not in the model folder' });
    expect(problem('escapes')).toMatchObject({ field: 'dataset', message: expect.stringMatching(/a folder inside the model folder/) });
    expect(problem('wrong-classifier')).toMatchObject({ field: 'classifier', message: 'classifier: "fmnist-vae" is a vae model, not a classifier' });
    await engine.dispose();
  });

  it('a user model whose graph disagrees with its manifest is reported with the shape at fault; the rest stay usable', async () => {
    const folder = userModelFolder();
    const manifestPath = join(folder, 'my-classifier', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.graphs.classifier.outputs[0].shape = ['batch', 12];
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const engine = await realEngine();
    const library = ok<{ models: { id: string }[]; problems: { field?: string; message: string }[] }>(await call(engine, 'library.addFolder', { path: folder }));
    expect(library.models.map((m) => m.id)).not.toContain('my-classifier');
    expect(library.models.map((m) => m.id)).toContain('fmnist-vae');
    expect(library.problems).toContainEqual(expect.objectContaining({ field: 'graphs.outputs.logits.shape', message: expect.stringMatching(/\[batch, 10\] in the graph but \[batch, 12\] in the manifest/) }));
    await engine.dispose();
  });

  it('loads the graphs that make pictures before those that read them, so a view asking for pictures does not wait for an encoder', async () => {
    const host = new ModelHost({ providers: ['cpu'], intraOpNumThreads: 2 });
    await host.loadFolders([{ path: paths.models, source: 'bundled' }]);
    const loaded: string[] = [];
    const graph = host.graph.bind(host);
    host.graph = (model, role, mode) => {
      loaded.push(`${model.manifest.id}/${role}`);
      return graph(model, role, mode);
    };
    for (const id of ['fmnist-vae', 'fmnist-dcgan']) await host.load(id);
    // Their manifests list the encoder first, and the DCGAN's inversion graph before its encoder.
    expect(Object.keys(host.model('fmnist-vae').manifest.graphs)).toEqual(['encoder', 'decoder']);
    expect(loaded).toEqual(['fmnist-vae/decoder', 'fmnist-vae/encoder', 'fmnist-dcgan/generator', 'fmnist-dcgan/inversion', 'fmnist-dcgan/encoder']);
    expect(loadOrder(['generator', 'mapping', 'synthesis'])).toEqual(['generator', 'mapping', 'synthesis']);
    expect(loadOrder(['classifier'])).toEqual(['classifier']);
    await host.dispose();
  });

  it('loads a model with its provider, load time and the reason faster providers were not used, and unloads it', async () => {
    const engine = await realEngine();
    const summary = ok<{ provider: string; loadMs: number; fallbacks: string[]; params: number }>(await call(engine, 'model.load', { model: 'fmnist-vae' }));
    expect(summary.provider).toBe('cpu');
    expect(summary.loadMs).toBeGreaterThan(0);
    expect(summary.fallbacks.join('\n')).toMatch(/CUDA: /);
    expect(summary.params).toBeGreaterThan(100_000);
    expect(ok<{ released: boolean }>(await call(engine, 'model.unload', { model: 'fmnist-vae' })).released).toBe(true);
    expect(ok<{ released: boolean }>(await call(engine, 'model.unload', { model: 'fmnist-vae' })).released).toBe(false);
    const list = ok<{ models: { id: string; provider?: string }[] }>(await call(engine, 'model.list', {}));
    expect(list.models.find((m) => m.id === 'fmnist-vae')?.provider).toBeUndefined();
    await engine.dispose();
  });

  it('a forced provider is remembered and reported', async () => {
    const engine = await realEngine();
    const updated = ok<{ settings: { provider?: string }; preferredProvider: string }>(await call(engine, 'settings.update', { provider: 'cpu', threads: 1 }));
    expect(updated).toEqual({ settings: { provider: 'cpu', threads: 1 }, preferredProvider: 'cpu' });
    const cleared = ok<{ settings: { provider?: string; threads?: number } }>(await call(engine, 'settings.update', { provider: null, threads: null }));
    expect(cleared.settings).toEqual({});
    await engine.dispose();
  });
});

describe('model calls', () => {
  it('100 rapid decode requests on one lane: the last one wins, far fewer run', async () => {
    const engine = await realEngine();
    const codes = Array.from({ length: 100 }, (_, i) => float32Tensor([1, 16], new Float32Array(16).fill(i / 50 - 1)));
    const before = engine.lanes.runs;
    const outcomes = await Promise.all(codes.map((z) => call(engine, 'model.decode', { model: 'fmnist-vae', z, lane: 'cursor' })));
    const runs = engine.lanes.runs - before;
    expect(runs).toBeLessThanOrEqual(3);
    const last = outcomes.at(-1)!;
    expect(last.ok).toBe(true);
    const direct = ok<{ images: { data: Float32Array } }>(await call(engine, 'model.decode', { model: 'fmnist-vae', z: codes.at(-1) }));
    expect((last as { result: { images: { data: Float32Array } } }).result.images.data).toEqual(direct.images.data);
    const superseded = outcomes.filter((o) => !o.ok && o.error.code === 'superseded').length;
    expect(superseded).toBe(100 - runs);
    // Lanes are per client: another window's cursor is not superseded by this one's.
    const [a, b] = await Promise.all([call(engine, 'model.decode', { model: 'fmnist-vae', z: codes[0], lane: 'cursor' }, 1), call(engine, 'model.decode', { model: 'fmnist-vae', z: codes[1], lane: 'cursor' }, 2)]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    await engine.dispose();
  });

  it('encode returns mean, log-variance and a seeded reparametrized sample', async () => {
    const engine = await realEngine();
    const images = ok<{ images: { data: Uint8Array } }>(await call(engine, 'dataset.images', { indices: [0, 1] })).images;
    const x = float32Tensor([2, 1, 28, 28], Float32Array.from(images.data, (v) => v / 255));
    const a = ok<{ mean: { data: Float32Array }; logvar: { data: Float32Array }; sample: { data: Float32Array } }>(await call(engine, 'model.encode', { model: 'fmnist-vae', images: x, seed: 3 }));
    const b = ok<{ sample: { data: Float32Array } }>(await call(engine, 'model.encode', { model: 'fmnist-vae', images: x, seed: 3 }));
    const c = ok<{ sample: { data: Float32Array } }>(await call(engine, 'model.encode', { model: 'fmnist-vae', images: x, seed: 4 }));
    expect(b.sample.data).toEqual(a.sample.data);
    expect(c.sample.data).not.toEqual(a.sample.data);
    // The sample stays within a few posterior standard deviations of the mean.
    for (let i = 0; i < 32; i++) expect(Math.abs(a.sample.data[i]! - a.mean.data[i]!)).toBeLessThan(5 * Math.exp(0.5 * a.logvar.data[i]!));
    await engine.dispose();
  });

  it('classify labels dataset images as the dataset does, nine times in ten or better', async () => {
    const engine = await realEngine();
    const indices = Array.from({ length: 200 }, (_, i) => i * 50);
    const { images, labels } = ok<{ images: { data: Uint8Array }; labels: number[] }>(await call(engine, 'dataset.images', { indices }));
    const x = float32Tensor([200, 1, 28, 28], Float32Array.from(images.data, (v) => v / 255));
    const result = ok<{ predicted: number[]; labels: string[]; probabilities: { shape: number[] } }>(await call(engine, 'model.classify', { model: 'fmnist-classifier', images: x }));
    expect(result.probabilities.shape).toEqual([200, 10]);
    expect(result.labels).toHaveLength(10);
    const correct = result.predicted.filter((p, i) => p === labels[i]).length;
    expect(correct / 200).toBeGreaterThanOrEqual(0.88);
    await engine.dispose();
  });
});
