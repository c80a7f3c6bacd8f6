import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { loadModelFolders } from '../../electron/engine/models/registry';
import { MemoryBudget } from '../../electron/engine/runtime/memoryBudget';
import { withPriority } from '../../electron/engine/runtime/priority';
import { createSession, lowPriorityThreadAvailable, postableFeeds } from '../../electron/engine/runtime/remoteSessions';
import { INLINE_MAX_MS, runGraph, SessionCache } from '../../electron/engine/runtime/sessions';
import { repoRoot } from '../helpers/engine';

describe('ONNX Runtime on a thread of its own (real 256 px graph)', () => {
  it('leaves the engine’s thread free while a graph runs: a 5 ms timer fires before a 256 px decode of 8 ends', async () => {
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
    const vae = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models.find((m) => m.manifest.id === 'vae-256')!;
    const decoder = await cache.get('vae-256', vae.folder, 'decoder', vae.manifest.graphs.decoder!);
    const order: string[] = [];
    const z = float32Tensor([8, 4, 32, 32], Float32Array.from({ length: 8 * 4096 }, (_, i) => Math.cos(i * 0.11)));
    const run = runGraph(decoder, { z }).then((out) => {
      order.push('run');
      return out;
    });
    setTimeout(() => order.push('timer'), 5);
    const images = (await run).x!;
    // onnxruntime-node's run holds the thread that calls it: on the engine's thread the timer would wait for the run.
    expect(order).toEqual(['timer', 'run']);
    expect(images.shape).toEqual([8, 3, 256, 256]);
    // The inputs were copied, not moved to the runtime's thread: the caller still holds its codes.
    expect(z.data.length).toBe(8 * 4096);
    await cache.releaseAll();
  });

  it('runs a cheap graph (a 28×28 decode) on the engine’s thread, with the same results as the runtime’s thread', async () => {
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
    const vae = (await loadModelFolders(join(repoRoot, 'models'), 'bundled')).models.find((m) => m.manifest.id === 'fmnist-vae')!;
    const decoder = await cache.get('fmnist-vae', vae.folder, 'decoder', vae.manifest.graphs.decoder!);
    const z = float32Tensor([1, 16], Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    const where: string[] = [];
    const timedRun = decoder.session.timedRun.bind(decoder.session);
    decoder.session.timedRun = (feeds) => {
      where.push('runtime');
      return timedRun(feeds);
    };
    const remote = (await decoder.session.run({ z: { type: 'float32', dims: z.shape, data: z.data } })).x!;
    for (let i = 0; i < 10 && !decoder.inline; i++) await runGraph(decoder, { z });
    const inline = await decoder.inline!;
    const run = inline.run.bind(inline);
    inline.run = ((feeds: never) => {
      where.push('engine');
      return run(feeds);
    }) as typeof inline.run;
    // A 28×28 decode costs well under INLINE_MS.
    where.length = 0;
    let local = (await runGraph(decoder, { z })).x!;
    for (let i = 0; i < 10 && where.at(-1) !== 'engine'; i++) local = (await runGraph(decoder, { z })).x!;
    expect(where.at(-1)).toBe('engine');
    expect(local.shape).toEqual([1, 1, 28, 28]);
    expect(Array.from(local.data)).toEqual(Array.from(remote.data as Float32Array));
    // A batch expected to take twice INLINE_MAX_MS goes to the runtime's thread.
    const many = Math.ceil((2 * INLINE_MAX_MS) / decoder.msPerItem);
    const batch = (await runGraph(decoder, { z: float32Tensor([many, 16], new Float32Array(many * 16)) })).x!;
    expect(where.at(-1)).toBe('runtime');
    expect(batch.shape).toEqual([many, 1, 28, 28]);
    await cache.releaseAll();
  });

  it('reports a graph’s failure as an error on the caller’s side, and a released session refuses to run', async () => {
    await expect(createSession(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/protobuf|model/i);
    const vae = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models.find((m) => m.manifest.id === 'vae-256')!;
    const session = await createSession(join(vae.folder, vae.manifest.graphs.decoder!.file));
    expect(session.inputNames).toEqual(['z']);
    expect(session.outputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, type: 'float32' });
    await expect(session.run({ z: { type: 'float32', dims: [1, 4, 32], data: new Float32Array(128) } })).rejects.toThrow(/rank|dimension|shape|Invalid/i);
    await session.release();
    await expect(session.run({ z: { type: 'float32', dims: [1, 4, 32, 32], data: new Float32Array(4096) } })).rejects.toThrow('this session was released');
  });

  it('sends a chunk of a batch with its own bytes only, and gives the same results as the whole batch', async () => {
    // A subarray would be cloned with the whole buffer it views: every chunk would carry the entire batch across.
    const batch = Float32Array.from({ length: 8 * 16 }, (_, i) => Math.sin(i * 0.37));
    const chunk = batch.subarray(3 * 16, 5 * 16);
    const { feeds, transfer } = postableFeeds({ z: { type: 'float32', dims: [2, 16], data: chunk } });
    const sent = feeds['z']!.data as Float32Array;
    expect(sent.buffer.byteLength).toBe(2 * 16 * 4);
    expect(Array.from(sent)).toEqual(Array.from(chunk));
    expect(transfer).toEqual([sent.buffer]);
    // A whole buffer goes as it is (cloned by postMessage, so the caller keeps it), with nothing moved.
    expect(postableFeeds({ z: { type: 'float32', dims: [8, 16], data: batch } })).toEqual({ feeds: { z: { type: 'float32', dims: [8, 16], data: batch } }, transfer: [] });

    const vae = (await loadModelFolders(join(repoRoot, 'models'), 'bundled')).models.find((m) => m.manifest.id === 'fmnist-vae')!;
    const session = await createSession(join(vae.folder, vae.manifest.graphs.decoder!.file));
    const whole = (await session.run({ z: { type: 'float32', dims: [8, 16], data: batch } })).x!.data as Float32Array;
    const part = (await session.run({ z: { type: 'float32', dims: [2, 16], data: chunk } })).x!.data as Float32Array;
    expect(Array.from(part)).toEqual(Array.from(whole.subarray(3 * 784, 5 * 784)));
    // The caller's batch is untouched.
    expect(batch[3 * 16]).toBe(Math.fround(Math.sin(3 * 16 * 0.37)));
    await session.release();
  });

  it('gives a batch job a steady session of its own: never on the engine’s thread, the same results, released once idle after the job', async () => {
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
    const vae = (await loadModelFolders(join(repoRoot, 'models'), 'bundled')).models.find((m) => m.manifest.id === 'fmnist-vae')!;
    const spec = vae.manifest.graphs.decoder!;
    const interactive = await cache.get('fmnist-vae', vae.folder, 'decoder', spec);
    const steady = await cache.get('fmnist-vae', vae.folder, 'decoder', spec, 'steady');
    expect(steady).not.toBe(interactive);
    expect(await cache.get('fmnist-vae', vae.folder, 'decoder', spec, 'steady')).toBe(steady);
    const z = float32Tensor([1, 16], Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    // A 28×28 decode would move to the engine's thread within a few runs (above); a steady session's runs never do.
    let out = (await runGraph(steady, { z })).x!;
    for (let i = 0; i < 10; i++) out = (await runGraph(steady, { z })).x!;
    expect(steady.runsInline).toBe(false);
    expect(steady.inline).toBeUndefined();
    expect(Array.from(out.data)).toEqual(Array.from((await runGraph(interactive, { z })).x!.data));
    // A job soon after takes the same session up, and its release waits again.
    cache.releaseWhenIdle('fmnist-vae', 'decoder', 'steady', 50);
    expect(await cache.get('fmnist-vae', vae.folder, 'decoder', spec, 'steady')).toBe(steady);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await cache.get('fmnist-vae', vae.folder, 'decoder', spec, 'steady')).toBe(steady);
    // Left idle, it is released; the interactive session stays, and a later job loads a steady one afresh.
    cache.releaseWhenIdle('fmnist-vae', 'decoder', 'steady', 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(steady.session.run({ z: { type: 'float32', dims: z.shape, data: z.data } })).rejects.toThrow('this session was released');
    expect(await cache.get('fmnist-vae', vae.folder, 'decoder', spec)).toBe(interactive);
    expect(await cache.get('fmnist-vae', vae.folder, 'decoder', spec, 'steady')).not.toBe(steady);
    await cache.releaseAll();
  });
  it('counts the memory a run grows by to that run alone, when another session’s run was asked for at the same moment', async () => {
    const users = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models;
    const vae = users.find((m) => m.manifest.id === 'vae-256')!;
    const bundled = (await loadModelFolders(join(repoRoot, 'models'), 'bundled')).models.find((m) => m.manifest.id === 'fmnist-vae')!;
    const large = await createSession(join(vae.folder, vae.manifest.graphs.decoder!.file), { executionProviders: ['cpu'], intraOpNumThreads: 2 });
    const small = await createSession(join(bundled.folder, bundled.manifest.graphs.decoder!.file), { executionProviders: ['cpu'], intraOpNumThreads: 2 });
    const z = (n: number, dims: number[]) => ({ type: 'float32' as const, dims: [n, ...dims], data: Float32Array.from({ length: n * dims.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.3)) });
    // Both asked for in the same turn, the large one first: 8 decodes at 256 px grow its arena by tens of MB.
    const [big, little] = await Promise.all([large.timedRun({ z: z(8, [4, 32, 32]) }), small.timedRun({ z: z(1, [16]) })]);
    expect(big.grewBytes).toBeGreaterThan(30 * 1024 * 1024);
    expect(little.grewBytes).toBeLessThan(8 * 1024 * 1024);
    await Promise.all([large.release(), small.release()]);
  });

  it.runIf(lowPriorityThreadAvailable)('runs background work on a low-priority copy that a foreground run does not wait for, counted in the budget and released with the graph', async () => {
    const budget = new MemoryBudget(4 * 1024 ** 3);
    const cache = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 }, budget);
    const large = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'large-models'), 'user')).models.find((m) => m.manifest.id === 'vae-512')!;
    const small = (await loadModelFolders(join(repoRoot, 'tests', 'fixtures', 'models'), 'user')).models.find((m) => m.manifest.id === 'vae-256')!;
    const dear = await cache.get('vae-512', large.folder, 'decoder', large.manifest.graphs.decoder!);
    const cheap = await cache.get('vae-256', small.folder, 'decoder', small.manifest.graphs.decoder!);
    const code = (side: number) => float32Tensor([1, 4, side, side], Float32Array.from({ length: 4 * side * side }, (_, i) => Math.cos(i * 0.07)));
    const reference = (await runGraph(dear, { z: code(64) })).x!;
    // The first background run begins the copy, on the thread of the lowest priority, and runs meanwhile on the graph's
    // own session; once made, the budget counts the copy, and background runs give the same pictures there.
    const ahead = (await withPriority('background', () => runGraph(dear, { z: code(64) }))).x!;
    expect(Array.from(ahead.data)).toEqual(Array.from(reference.data));
    const copy = (await dear.background!.made)!;
    expect(dear.background!.ready).toBe(copy);
    expect(Array.from((await withPriority('background', () => runGraph(dear, { z: code(64) }))).x!.data)).toEqual(Array.from(reference.data));
    expect(copy.nice).toBe(19);
    expect(budget.report().largest.map((e) => e.label)).toContain('vae-512 decoder (background)');
    // A 512 px decode made ahead, then a 256 px one a person waits for: on one thread it would queue behind the first
    // (runs there go one at a time); here it ends first, whatever the cores (a quarter of the work, at full priority).
    const order: string[] = [];
    const background = withPriority('background', () => runGraph(dear, { z: code(64) })).then(() => order.push('background'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runGraph(cheap, { z: code(32) }).then(() => order.push('foreground'));
    await background;
    expect(order).toEqual(['foreground', 'background']);
    // A background run never waits for a copy being made: a copy that is never ready leaves them on the graph's own session.
    cheap.createBackground = () => new Promise(() => {});
    const meanwhile = (await withPriority('background', () => runGraph(cheap, { z: code(32) }))).x!;
    expect(meanwhile.shape).toEqual([1, 3, 256, 256]);
    expect(cheap.background?.ready).toBeUndefined();
    // Evicted or released, the graph takes its copy with it.
    await cache.release('vae-512');
    await expect(copy.run({ z: { type: 'float32', dims: [1, 4, 64, 64], data: code(64).data } })).rejects.toThrow('this session was released');
    expect(budget.report().largest.map((e) => e.label)).not.toContain('vae-512 decoder (background)');
    await cache.releaseAll();
  });
});

describe("the runtime thread's warm-up graph", () => {
  it('is a graph ONNX Runtime loads and runs (y = x), so the warm-up at the thread’s start does set the runtime up', async () => {
    const source = readFileSync(join(repoRoot, 'electron', 'engine', 'runtime', 'sessionWorker.cjs'), 'utf8');
    const encoded = source.match(/const WARM_UP_GRAPH = '([A-Za-z0-9+/=]+)';/)?.[1];
    expect(encoded).toBeDefined();
    // The graph goes through the same thread the warm-up runs on, as any session does.
    const session = await createSession(Buffer.from(encoded!, 'base64'));
    expect([session.inputNames, session.outputNames]).toEqual([['x'], ['y']]);
    const { y } = await session.run({ x: { type: 'float32', dims: [1], data: Float32Array.of(0.625) } });
    expect(Array.from(y!.data as Float32Array)).toEqual([0.625]);
    await session.release();
  });
});
