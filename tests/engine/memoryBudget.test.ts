import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import { createEngine, type Engine } from '../../electron/engine/engine';
import { loadModelFolders } from '../../electron/engine/models/registry';
import { defaultMemoryBudget, MemoryBudget } from '../../electron/engine/runtime/memoryBudget';
import { RUN_BYTES, runGraph, SessionCache, usesMemoryPattern } from '../../electron/engine/runtime/sessions';
import { statSync } from 'node:fs';
import type { MemoryReport } from '../../electron/api/contract';
import { join } from 'node:path';
import { callOptions, freshConfigDir, ok, paths, repoRoot } from '../helpers/engine';

const MB = 1e6;

describe('the memory budget', () => {
  const entry = (bytes: number, released: string[], name: string, busy = false) => ({ kind: 'codes' as const, label: name, bytes, release: () => released.push(name), busy: () => busy });

  it('releases the least recently used entries until what it keeps fits, never the one just added', () => {
    const released: string[] = [];
    const budget = new MemoryBudget(10);
    budget.add('a', entry(4, released, 'a'));
    budget.add('b', entry(4, released, 'b'));
    budget.touch('a');
    budget.add('c', entry(4, released, 'c'));
    expect(released).toEqual(['b']);
    expect(budget.report()).toMatchObject({ usedBytes: 8, evictions: 1 });
    // One entry larger than the whole budget is kept: it is what the caller needs now.
    budget.add('huge', entry(30, released, 'huge'));
    expect(released).toEqual(['b', 'a', 'c']);
    expect(budget.report()).toMatchObject({ usedBytes: 30, largest: [{ label: 'huge', bytes: 30 }] });
  });

  it('passes over entries in use, and a smaller budget evicts at once', () => {
    const released: string[] = [];
    const budget = new MemoryBudget(100);
    budget.add('running', entry(40, released, 'running', true));
    budget.add('idle', entry(40, released, 'idle'));
    budget.setBudget(50);
    expect(released).toEqual(['idle']);
    expect(budget.releaseIdle()).toBe(0);
    expect(budget.report().kinds.find((k) => k.kind === 'codes')).toMatchObject({ bytes: 40, entries: 1 });
    // Freed on request is not evicted to fit: the count says how often the budget was too small.
    budget.add('later', entry(5, released, 'later'));
    expect(budget.releaseIdle()).toBe(5);
    expect(released).toEqual(['idle', 'later']);
    expect(budget.report().evictions).toBe(1);
  });

  it('an entry that grows (a session whose arena took a larger run) is counted, and others are evicted to fit it', () => {
    const released: string[] = [];
    const budget = new MemoryBudget(10);
    budget.add('old', entry(3, released, 'old'));
    budget.add('session', entry(3, released, 'session'));
    budget.grow('session', 5);
    expect(released).toEqual(['old']);
    expect(budget.report()).toMatchObject({ usedBytes: 8, largest: [{ label: 'session', bytes: 8 }] });
    // An entry already gone (evicted meanwhile) is not counted again.
    budget.grow('old', 5);
    expect(budget.report().usedBytes).toBe(8);
  });

  it('defaults to half the machine, between 512 MiB and 8 GiB', () => {
    const GiB = 1024 ** 3;
    expect(defaultMemoryBudget(0.5 * GiB)).toBe(GiB / 2);
    expect(defaultMemoryBudget(8 * GiB)).toBe(4 * GiB);
    expect(defaultMemoryBudget(24 * GiB)).toBe(8 * GiB);
    expect(defaultMemoryBudget(128 * GiB)).toBe(8 * GiB);
  });
});

describe('sessions under the budget (real graphs)', () => {
  const folderOf = async (id: string) => (await loadModelFolders(paths.models, 'bundled')).models.find((m) => m.manifest.id === id)!;
  const z = (n: number, seed: number) => float32Tensor([1, n], Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 31 + i)));

  it('a graph still held after its session was evicted loads again on its next run, with the same result', async () => {
    const budget = new MemoryBudget(5 * MB);
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 1 }, budget);
    const [vae, ae] = await Promise.all([folderOf('fmnist-vae'), folderOf('fmnist-ae')]);
    const decoder = await cache.get('fmnist-vae', vae.folder, 'decoder', vae.manifest.graphs.decoder!);
    const before = (await runGraph(decoder, { z: z(16, 1) })).x!.data;
    // A second 3.4 MB graph does not fit beside the first: the older one is evicted.
    await cache.get('fmnist-ae', ae.folder, 'decoder', ae.manifest.graphs.decoder!);
    expect(budget.report()).toMatchObject({ evictions: 1, largest: [{ label: 'fmnist-ae decoder' }] });
    const after = (await runGraph(decoder, { z: z(16, 1) })).x!.data;
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(budget.report().largest.map((e) => e.label)).toEqual(['fmnist-vae decoder']);
    await cache.releaseAll();
  });

  it('a session removed while it runs is released only when its run ends', async () => {
    const budget = new MemoryBudget(100 * MB);
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 1 }, budget);
    const vae = await folderOf('fmnist-vae');
    const decoder = await cache.get('fmnist-vae', vae.folder, 'decoder', vae.manifest.graphs.decoder!);
    const batch = float32Tensor([256, 16], Float32Array.from({ length: 256 * 16 }, (_, i) => Math.cos(i)));
    const running = runGraph(decoder, { z: batch });
    expect(await cache.release('fmnist-vae')).toBe(true);
    expect(budget.report().usedBytes).toBe(0);
    expect((await running).x!.shape).toEqual([256, 1, 28, 28]);
  });
});

describe('what a session holds (real graphs)', () => {
  it('a 256 px decoder counts the activations its arena keeps, not only its weights; a 28×28 one little more than its file', async () => {
    const budget = new MemoryBudget(4096 * MB);
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 }, budget);
    const vae256 = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models.find((m) => m.manifest.id === 'vae-256')!;
    const large = await cache.get('vae-256', vae256.folder, 'decoder', vae256.manifest.graphs.decoder!);
    const file = statSync(join(vae256.folder, vae256.manifest.graphs.decoder!.file)).size;
    // One 256 px decode's activations: about 65 MB here, against a 1.8 MB file.
    expect(large.workingBytes).toBeGreaterThan(20 * MB);
    expect(budget.report().largest[0]).toMatchObject({ label: 'vae-256 decoder', bytes: file + large.workingBytes });
    expect(usesMemoryPattern(large.spec)).toBe(false);
    // A larger batch may grow the arena once; runs no larger never add to the count, whatever else grew meanwhile.
    const z = (n: number) => float32Tensor([n, 4, 32, 32], Float32Array.from({ length: n * 4096 }, (_, i) => Math.sin(i * 0.37)));
    const warmedOnly = large.workingBytes;
    await runGraph(large, { z: z(2) });
    const afterLarger = large.workingBytes;
    expect(afterLarger).toBeGreaterThanOrEqual(warmedOnly);
    for (let i = 0; i < 3; i++) await runGraph(large, { z: z(i % 2 ? 1 : 2) });
    expect(large.workingBytes).toBe(afterLarger);
    expect(budget.report().largest[0]).toMatchObject({ label: 'vae-256 decoder', bytes: file + afterLarger });

    const fmnist = (await loadModelFolders(paths.models, 'bundled')).models.find((m) => m.manifest.id === 'fmnist-vae')!;
    const small = await cache.get('fmnist-vae', fmnist.folder, 'decoder', fmnist.manifest.graphs.decoder!);
    expect(small.workingBytes).toBeLessThan(8 * MB);
    expect(usesMemoryPattern(small.spec)).toBe(true);
    await cache.releaseAll();
  });
});

describe('runs bounded in bytes (real 256 px graph)', () => {
  it('a batch larger than RUN_BYTES runs in even chunks, with the outputs of one run', async () => {
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
    const vae = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models.find((m) => m.manifest.id === 'vae-256')!;
    const decoder = await cache.get('vae-256', vae.folder, 'decoder', vae.manifest.graphs.decoder!);
    // 12 codes decode to 12 × 786 KB of images: over 2 MiB, so six runs of 2.
    expect(12 * 3 * 256 * 256 * 4).toBeGreaterThan(RUN_BYTES);
    const z = float32Tensor([12, 4, 32, 32], Float32Array.from({ length: 12 * 4096 }, (_, i) => Math.sin(i * 0.37)));
    const batches: number[] = [];
    const run = decoder.session.run.bind(decoder.session);
    const timedRun = decoder.session.timedRun.bind(decoder.session);
    decoder.session.timedRun = (feeds) => {
      batches.push(feeds['z']!.dims[0]!);
      return timedRun(feeds);
    };
    const chunked = (await runGraph(decoder, { z })).x!;
    expect(batches).toEqual([2, 2, 2, 2, 2, 2]);
    expect(chunked.shape).toEqual([12, 3, 256, 256]);
    const whole = await run({ z: new (await import('../../electron/engine/runtime/ort')).ort.Tensor('float32', z.data, z.shape) });
    const expected = whole['x']!.data as Float32Array;
    let worst = 0;
    chunked.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]!))));
    expect(worst).toBeLessThan(1e-5);
    await cache.releaseAll();
  });
});

describe('the engine within a small budget (real models and dataset)', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  const memory = async () => ok<MemoryReport>(await call('app.memory', {}));
  beforeAll(async () => {
    // One 3.4 MB graph with a dataset's codes and their projection fits; two graphs and the codes do not.
    engine = await createEngine({ paths, configDir: freshConfigDir(), threads: 2, memoryBudgetBytes: 6.5 * MB });
  });
  afterAll(() => engine.dispose());

  it('evicts the least recently used sessions and codes, reports them, and recomputes what was evicted identically', async () => {
    const encoded = ok<{ codes: Float32Tensor }>(await call('dataset.encode', { model: 'fmnist-vae' }));
    const query = float32Tensor([1, 16], encoded.codes.data.slice(7 * 16, 8 * 16));
    const neighbours = ok<{ indices: number[] }>(await call('latent.neighbors', { model: 'fmnist-vae', query, k: 5, exclude: [7] }));
    const typical = ok<{ percentile: number }>(await call('latent.typicality', { model: 'fmnist-vae', code: query }));
    let report = await memory();
    expect(report.kinds.find((k) => k.kind === 'codes')).toMatchObject({ entries: 1, bytes: 10_000 * 16 * 4 });
    expect(report.kinds.find((k) => k.kind === 'projections')!.entries).toBe(2);
    expect(report.evictions).toBe(0);

    const sample = ok<{ images: Float32Tensor }>(await call('model.decode', { model: 'fmnist-ae', z: query })).images;
    ok(await call('model.decode', { model: 'fmnist-dcgan', z: float32Tensor([1, 64], new Float32Array(64).fill(0.1)) }));
    report = await memory();
    expect(report.usedBytes).toBeLessThanOrEqual(6.5 * MB);
    expect(report.evictions).toBeGreaterThanOrEqual(2);
    // The encoder went first (least recently used), then the dataset's codes.
    expect(report.largest.map((e) => e.label)).not.toContain('fmnist-vae encoder');
    expect(report.kinds.find((k) => k.kind === 'codes')!.entries).toBe(0);
    const library = ok<{ models: { id: string; provider?: string; evicted?: boolean }[] }>(await call('model.list', {}));
    expect(library.models.find((m) => m.id === 'fmnist-vae')).toMatchObject({ provider: undefined, evicted: true });
    expect(library.models.find((m) => m.id === 'fmnist-dcgan')!.provider).toBe('cpu');

    // Asked again, the evicted codes are encoded again: the same neighbours, the same reading.
    expect(ok<{ indices: number[] }>(await call('latent.neighbors', { model: 'fmnist-vae', query, k: 5, exclude: [7] })).indices).toEqual(neighbours.indices);
    expect(ok<{ percentile: number }>(await call('latent.typicality', { model: 'fmnist-vae', code: query })).percentile).toBe(typical.percentile);
    const again = ok<{ images: Float32Tensor }>(await call('model.decode', { model: 'fmnist-ae', z: query })).images;
    expect(Array.from(again.data)).toEqual(Array.from(sample.data));
    expect((await memory()).usedBytes).toBeLessThanOrEqual(6.5 * MB);
  });

  it('frees what is idle on request, and a budget set in the settings is kept across launches', async () => {
    const freed = ok<MemoryReport>(await call('app.freeMemory', {}));
    expect(freed.freedBytes).toBeGreaterThan(0);
    expect(freed.usedBytes).toBe(0);
    expect(freed.process.rssBytes).toBeGreaterThan(freed.process.heapBytes);

    const configDir = freshConfigDir();
    const first = await createEngine({ paths, configDir, threads: 2 });
    const set = await dispatchCall(first.handlers, 'settings.update', { memoryBudgetMb: 256 }, callOptions());
    expect(set).toMatchObject({ ok: true, result: { settings: { memoryBudgetMb: 256 } } });
    expect(await dispatchCall(first.handlers, 'settings.update', { memoryBudgetMb: 16 }, callOptions())).toMatchObject({ ok: false, error: { code: 'bad-request', field: 'args.memoryBudgetMb' } });
    await first.dispose();
    const second = await createEngine({ paths, configDir, threads: 2 });
    expect(ok<MemoryReport>(await dispatchCall(second.handlers, 'app.memory', {}, callOptions())).budgetBytes).toBe(256 * 1024 * 1024);
    await second.dispose();
  });
});

