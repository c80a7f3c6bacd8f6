import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ApiError } from '../../api/errors';
import { float32Tensor, type Float32Tensor } from '../../api/tensor';
import type { GraphSpecT } from '../models/manifest';
import type { MemoryBudget } from './memoryBudget';
import { ort } from './ort';
import { runPriority } from './priority';
import { createSession, lowPriorityThreadAvailable, type RuntimeSession } from './remoteSessions';
import type { ProviderName } from './providers';

export interface LoadedGraph {
  /** The graph's session on the runtime's thread (remoteSessions.ts), where every run that is not cheap goes. */
  session: RuntimeSession;
  /**
   * A run's cost per batch item, as measured where it ran (at first the warm-up's; see `measured`): cheap runs run on
   * the engine's own thread instead (INLINE_MS), in a second session made on first use, since the hop to the runtime's
   * thread and back costs about 0.15 ms, half of what a 28×28 decode takes.
   */
  msPerItem: number;
  /** Runs measured so far. */
  runs: number;
  /** Whether the graph's runs go to the engine's thread (INLINE_MS, INLINE_MAX_MS). */
  runsInline: boolean;
  /** A session for long batch jobs beside other CPU work (see SessionMode): its runs never go to the engine's thread. */
  mode: SessionMode;
  inline?: Promise<InferenceSession>;
  /** Makes that second session with the options of the first. */
  createInline: () => Promise<InferenceSession>;
  /**
   * The same graph on the low-priority thread, for background runs (priority.ts), begun on the first one where that
   * thread exists and a second copy is cheap to hold (backgroundSession): `made` resolves undefined where it could not
   * be made; `ready` is the copy once made.
   */
  background?: { made: Promise<RuntimeSession | undefined>; ready?: RuntimeSession };
  /** Makes that session, warmed up, with the options of the first but never spinning. */
  createBackground: () => Promise<RuntimeSession>;
  spec: GraphSpecT;
  provider: ProviderName;
  /** Creating the session plus its one warm-up run. */
  loadMs: number;
  /**
   * What the session keeps resident for its runs' activations, as measured where they ran: ONNX Runtime's arena grows to
   * the largest run's needs and keeps them for the session's life (a 1024 px VAE's decoder: 2.2 GB). Counted in the
   * memory budget beside the weights, so what the Models view reports is what the process holds.
   */
  workingBytes: number;
  /** The largest run's input bytes so far: only a larger run can grow the arena (see grewWorkingMemory). */
  largestRunBytes: number;
  /** Providers that failed before the one in use, with why. */
  fallbacks: string[];
}

/**
 * How a session's thread pool waits between pieces of work. 'interactive' (every graph by default) spins within a run,
 * which is fastest when the run has the cores to itself. 'steady' never spins: for a job whose runs share the cores with
 * other work of its own, as encoding a folder shares them with libvips fitting the next batch's files (at 256 px, the
 * folder's throughput rose 5-10% without spinning, while the encoder alone lost 2-10%; docs/PERFORMANCE.md).
 */
export type SessionMode = 'interactive' | 'steady';

export interface SessionCacheOptions {
  providers: ProviderName[];
  intraOpNumThreads?: number;
}

/** What the cache knows of a loaded graph beyond what callers see: runs in flight, and whether it was evicted. */
interface GraphLease {
  key: string;
  active: number;
  evicted: boolean;
  /** The same graph loaded again, for a caller that still holds this one after it was evicted. */
  reload: () => Promise<LoadedGraph>;
  budget?: MemoryBudget;
  /** The budget's label for the graph, and its file's size: for the background copy's entry. */
  label: string;
  fileBytes: number;
}
const leases = new WeakMap<LoadedGraph, GraphLease>();

/**
 * One session per graph file: loaded once, checked against its manifest once, reused. Each session is an
 * entry of the engine's memory budget (its weights, as the file's size); evicted, it is released once its
 * runs in flight end, and a caller that still holds it loads it again on its next run.
 */
export class SessionCache {
  private readonly loading = new Map<string, Promise<LoadedGraph>>();
  /** Sessions to release once idle for a while (a batch job's, after the job), by key. */
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  private retired = false;

  constructor(
    private readonly options: SessionCacheOptions,
    private readonly budget?: MemoryBudget,
    /** Told when a session is evicted to fit the budget (the library shows the model as not loaded). */
    private readonly onEvicted?: (modelId: string, role: string) => void,
  ) {}

  get(modelId: string, folder: string, role: string, spec: GraphSpecT, mode: SessionMode = 'interactive'): Promise<LoadedGraph> {
    if (this.retired) return Promise.reject(new ApiError('model-error', 'the runtime settings (provider or threads) changed while this ran: run it again'));
    const key = sessionKey(modelId, role, mode);
    clearTimeout(this.idleTimers.get(key));
    this.idleTimers.delete(key);
    let graph = this.loading.get(key);
    if (graph) this.budget?.touch(`session:${key}`);
    else {
      const path = join(folder, spec.file);
      graph = this.load(modelId, path, role, spec, mode).then((loaded) => {
        const label = `${modelId} ${role}${mode === 'steady' ? ' (batch job)' : ''}`;
        const fileBytes = statSync(path).size;
        leases.set(loaded, { key, active: 0, evicted: false, reload: () => this.get(modelId, folder, role, spec, mode), budget: this.budget, label, fileBytes });
        this.budget?.add(`session:${key}`, {
          kind: 'sessions',
          label,
          bytes: fileBytes + loaded.workingBytes,
          busy: () => leases.get(loaded)!.active > 0,
          release: () => {
            this.loading.delete(key);
            retire(loaded);
            this.onEvicted?.(modelId, role);
          },
        });
        return loaded;
      });
      graph.catch(() => this.loading.delete(key));
      this.loading.set(key, graph);
    }
    return graph;
  }

  /** Releases a model's sessions; returns whether it had any. */
  async release(modelId: string): Promise<boolean> {
    let released = false;
    for (const key of [...this.loading.keys()]) {
      if (!key.startsWith(`${modelId}/`)) continue;
      await this.drop(key);
      released = true;
    }
    return released;
  }

  /**
   * Releases one graph's session of a mode once it has gone unused for `idleMs` (a batch job's session, after the job:
   * a second job soon after reuses it, while its memory, another copy of the graph's activations, does not stay for
   * good). Its runs in flight finish first.
   */
  releaseWhenIdle(modelId: string, role: string, mode: SessionMode, idleMs: number): void {
    const key = sessionKey(modelId, role, mode);
    clearTimeout(this.idleTimers.get(key));
    const timer = setTimeout(() => {
      this.idleTimers.delete(key);
      if (this.loading.has(key)) void this.drop(key);
    }, idleMs);
    timer.unref();
    this.idleTimers.set(key, timer);
  }

  /** Every session goes (new settings); graphs that callers still hold fail with "run it again". */
  async releaseAll(): Promise<void> {
    this.retired = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    await Promise.all([...this.loading.keys()].map((key) => this.drop(key)));
  }

  /** A session removed by its owner (not evicted): out of the cache and the budget, released after its runs. */
  private async drop(key: string): Promise<void> {
    const graph = this.loading.get(key)!;
    this.loading.delete(key);
    this.budget?.remove(`session:${key}`);
    const loaded = await graph.catch(() => undefined);
    if (loaded) retire(loaded);
  }

  private async load(modelId: string, path: string, role: string, spec: GraphSpecT, mode: SessionMode): Promise<LoadedGraph> {
    const fallbacks: string[] = [];
    for (const provider of this.options.providers) {
      const started = performance.now();
      try {
        const options: InferenceSession.SessionOptions = {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          enableMemPattern: usesMemoryPattern(spec),
          ...(this.options.intraOpNumThreads ? { intraOpNumThreads: this.options.intraOpNumThreads } : {}),
        };
        // The runtime's thread pool stops spinning when a run ends: spinning on, it held the cores the engine's thread
        // needs to take the reply and send the next run (DDIM at 256 px: about 1 ms more a step). A steady session
        // does not spin at all.
        const spinning = mode === 'steady' ? NEVER_SPIN : { session: { force_spinning_stop: '1' } };
        const session = await createSession(path, { ...options, extra: spinning });
        checkGraphMatchesSpec(session, spec, `${modelId} ${role}`);
        const warm = await warmUp(session, spec);
        return {
          session,
          msPerItem: warm.ms,
          runs: 0,
          runsInline: false,
          mode,
          // Cheap runs on the engine's thread compute on it alone: a second thread saved them 2-8% (a 28×28 decode 0.105 →
          // 0.097 ms, the pixel denoiser 1.30 → 1.25 ms) and spun beside the page's renderer during every drag.
          createInline: () => createWarmInline(path, { ...options, intraOpNumThreads: 1 }, spec),
          createBackground: async () => {
            const background = await createSession(path, { ...options, extra: NEVER_SPIN }, true);
            await warmUp(background, spec);
            return background;
          },
          spec,
          provider,
          loadMs: performance.now() - started,
          fallbacks,
          workingBytes: warm.grewBytes,
          largestRunBytes: warm.inputBytes,
        };
      } catch (error) {
        if (error instanceof ApiError) throw error;
        // No provider can read a file that is not a whole ONNX model: say so in words, once.
        if (/Protobuf parsing failed/i.test((error as Error).message)) {
          throw new ApiError('model-error', `${modelId} ${role}: ${basename(path)} is not a complete ONNX model (it may be truncated, or another kind of file): export it again`, `graphs.${role}.file`);
        }
        fallbacks.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    throw new ApiError('model-error', `could not load ${modelId} ${role} (${path}): ${fallbacks.join('; ')}`);
  }
}

/** Session options for a thread pool that never spins: a steady batch job's and a background copy's share the cores with other work. */
const NEVER_SPIN = { session: { intra_op: { allow_spinning: '0' } } };

/** Bytes of one batch item of a tensor the manifest states (its dims after the batch; a named one counts 1). */
const itemBytes = (t: GraphSpecT['inputs'][number]) => t.shape.slice(1).reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 4);

/** Bytes of one batch item's inputs and outputs, as the manifest states them. */
function specItemBytes(spec: GraphSpecT): number {
  return [...spec.inputs, ...spec.outputs].reduce((sum, t) => sum + itemBytes(t), 0);
}

/** From this many bytes of inputs and outputs an item (a colour image of about 150 px), a graph runs without a memory pattern. */
const NO_MEMORY_PATTERN_ITEM_BYTES = 256 * 1024;

/**
 * Whether a session plans its runs' memory ahead (ONNX Runtime's memory pattern: one block for all of a run's
 * activations, kept per input shape) on top of its arena. For image-sized graphs that block doubled what the session
 * kept between runs, for no speed: vae-512's decoder held 292 MB against 151 MB without it (233–256 ms a run either
 * way), the 1024 px VAE's decoder 4.45 GB against 2.25 GB and its encoder 4.81 against 2.48 GB. Small graphs keep it:
 * their runs are a fraction of a millisecond, where fewer allocations can show.
 */
export function usesMemoryPattern(spec: GraphSpecT): boolean {
  return specItemBytes(spec) < NO_MEMORY_PATTERN_ITEM_BYTES;
}

function sessionKey(modelId: string, role: string, mode: SessionMode): string {
  return mode === 'interactive' ? `${modelId}/${role}` : `${modelId}/${role}~${mode}`;
}

/** One run at batch 1 with zeros, so the first real request does not pay for lazy initialisation; resolves with its ms and the memory it took. */
async function warmUp(session: RuntimeSession, spec: GraphSpecT): Promise<{ ms: number; grewBytes: number; inputBytes: number }> {
  const feeds = zeroFeeds(spec);
  const { ms, grewBytes } = await session.timedRun(feeds);
  return { ms, grewBytes, inputBytes: feedBytes(feeds) };
}

const feedBytes = (feeds: Record<string, InstanceType<typeof ort.Tensor>>) => Object.values(feeds).reduce((sum, t) => sum + (t.data as ArrayBufferView).byteLength, 0);

/** The graph's session on the engine's thread, warmed up as the first was (so its first run's cost is not taken for its usual one). */
async function createWarmInline(path: string, options: InferenceSession.SessionOptions, spec: GraphSpecT): Promise<InferenceSession> {
  const session = await ort.InferenceSession.create(path, options);
  await session.run(zeroFeeds(spec));
  return session;
}

function zeroFeeds(spec: GraphSpecT): Record<string, InstanceType<typeof ort.Tensor>> {
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const input of spec.inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[input.name] = toOrtTensor(input.dtype, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  return feeds;
}

/** The contract carries every tensor as float32; integer inputs (labels, timesteps) are converted where the graph declares them. */
function toOrtTensor(dtype: GraphSpecT['inputs'][number]['dtype'], data: Float32Array, shape: readonly number[]): InstanceType<typeof ort.Tensor> {
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(Math.round(v))), shape);
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(data, (v) => Math.round(v)), shape);
  return new ort.Tensor('float32', data, shape);
}

/** The manifest's declared inputs and outputs must be the graph's, name by name, with compatible shapes. */
export function checkGraphMatchesSpec(session: RuntimeSession, spec: GraphSpecT, label: string): void {
  const compare = (side: 'inputs' | 'outputs', metadata: RuntimeSession['inputMetadata']) => {
    for (const declared of spec[side]) {
      const actual = metadata.find((m) => m.name === declared.name);
      if (!actual) {
        const names = metadata.map((m) => m.name).join(', ');
        throw new ApiError('model-error', `${label}: manifest declares ${side.slice(0, -1)} "${declared.name}" but the graph has ${names}`, `graphs.${side}.${declared.name}`);
      }
      if (!actual.isTensor) continue;
      if (actual.type !== declared.dtype) {
        throw new ApiError('model-error', `${label}: "${declared.name}" is ${actual.type} in the graph but ${declared.dtype} in the manifest`, `graphs.${side}.${declared.name}.dtype`);
      }
      const shape = actual.shape;
      const fits =
        shape.length === declared.shape.length &&
        declared.shape.every((d, i) => typeof d === 'string' || typeof shape[i] === 'string' || shape[i] === d);
      if (!fits) {
        throw new ApiError(
          'model-error',
          `${label}: "${declared.name}" is [${shape.join(', ')}] in the graph but [${declared.shape.join(', ')}] in the manifest`,
          `graphs.${side}.${declared.name}.shape`,
        );
      }
    }
  };
  compare('inputs', session.inputMetadata);
  compare('outputs', session.outputMetadata);
}

/**
 * The most bytes of inputs and outputs one run of a graph handles. ONNX Runtime's arena keeps the largest run's
 * activations for the session's life, and they grow with the batch times the image size: vae-256's decoder kept
 * +68 MB after runs of 1, +137 MB of 2, +403 MB of 5, +802 MB of 10 (its encoder +65, +91, +163, +293 MB), for the
 * same time an image on a CPU (46.1, 46.7, 48.5, 49.5 ms; encoder 33.5, 33.1, 35.7, 37.0 ms). So runs hold about
 * 2 MiB: two images at 256 px, one at 512 px, about 40 at 64 px (emoji-vae's decoder: 2.0 ms an image in runs of 42,
 * 2.1 in runs of 128), and a whole batch at 28×28 (500 images are 1.6 MB).
 */
export const RUN_BYTES = 2 * 1024 * 1024;

/**
 * A graph's runs move to the engine's thread when one is expected to take at most INLINE_MS, and back to the runtime's
 * thread when one is expected to take over INLINE_MAX_MS (see LoadedGraph.msPerItem). Each hop to the runtime's thread
 * costs 0.15–0.5 ms, which the 28×28 demos' 0.1–2.5 ms runs would feel in every diffusion step, while half a frame held
 * on the engine's thread costs nothing a person sees. The gap between the two keeps a graph near the line (a 256 px
 * denoiser step: 3.5 ms) on one thread: alternating between two sessions, each with its own spinning thread pool, made
 * DDIM at 256 px twice as slow.
 */
export const INLINE_MS = 3;
export const INLINE_MAX_MS = 8;

/**
 * Runs a graph on float32 tensors and returns the named outputs as contract tensors. A graph
 * exported with a fixed batch (StyleGAN2's fused modulated convolution folds the batch into Conv
 * groups) runs a larger batch in chunks of its own, and the outputs are joined. A graph whose every
 * input and output is batch-major on one named axis runs in even chunks of at most RUN_BYTES.
 */
export async function runGraph(graph: LoadedGraph, inputs: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
  const fixed = graph.spec.inputs[0]?.shape[0];
  const batch = Object.values(inputs)[0]?.shape[0];
  if (typeof fixed === 'number' && batch !== undefined && batch !== fixed) {
    if (batch % fixed !== 0) throw new ApiError('bad-input', `this graph was exported for batches of ${fixed}; got ${batch}`, 'args.shape');
    return runInChunks(graph, inputs, batch, fixed);
  }
  const chunk = batch === undefined ? undefined : chunkSize(graph.spec, inputs, batch);
  if (chunk !== undefined && chunk < batch!) return runInChunks(graph, inputs, batch!, chunk);
  return runOnce(graph, inputs);
}

/** Items per run within RUN_BYTES, in even chunks; undefined when the graph's batch axis is not shared by all its inputs and outputs. */
function chunkSize(spec: GraphSpecT, inputs: Record<string, Float32Tensor>, batch: number): number | undefined {
  const axis = spec.inputs[0]?.shape[0];
  if (typeof axis !== 'string' || batch < 2) return undefined;
  if (![...spec.inputs, ...spec.outputs].every((s) => s.shape[0] === axis)) return undefined;
  if (Object.values(inputs).some((t) => t.shape[0] !== batch)) return undefined;
  let perItem = 0;
  for (const t of Object.values(inputs)) perItem += (t.data.length / batch) * 4;
  // Outputs' other dims, where the manifest states them as numbers (a decoder's image size).
  for (const output of spec.outputs) perItem += itemBytes(output);
  const most = Math.max(1, Math.floor(RUN_BYTES / perItem));
  if (most >= batch) return undefined;
  return Math.ceil(batch / Math.ceil(batch / most));
}

async function runInChunks(graph: LoadedGraph, inputs: Record<string, Float32Tensor>, batch: number, chunk: number): Promise<Record<string, Float32Tensor>> {
  const chunks: Record<string, Float32Tensor>[] = [];
  for (let start = 0; start < batch; start += chunk) chunks.push(await runOnce(graph, sliceBatch(inputs, start, Math.min(chunk, batch - start))));
  return joinBatches(chunks);
}

/** Marks an evicted or removed graph; its session is released now, or when its last run in flight ends. */
function retire(graph: LoadedGraph): void {
  const lease = leases.get(graph);
  if (lease) lease.evicted = true;
  if (!lease || lease.active === 0) release(graph);
}

/**
 * A run's cost per item updates the graph's estimate: the first run replaces the warm-up's (which paid for lazy
 * initialisation); later ones lower it at once and raise it by at most a quarter a run. Interference only ever adds
 * time (a collection pause, another process on the core: a 0.3 ms run measured 8 ms), and one such run must not send a
 * cheap graph's next runs across to the runtime's thread; a graph that really became dear crosses within a few runs.
 */
function measured(graph: LoadedGraph, msPerItem: number): void {
  graph.msPerItem = graph.runs++ === 0 ? msPerItem : Math.min(msPerItem, 1.25 * graph.msPerItem);
}

/** Growth under this is the engine's own allocations during the run, not the session's arena. */
const GROWTH_NOISE_BYTES = 4 * 1024 * 1024;

/**
 * A run larger than any before (a larger batch) that grew the process adds to what the session's budget entry counts:
 * its arena grew to hold the run's activations. Runs no larger reuse the arena, so what grew during them is the engine's
 * own allocations meanwhile, and counting it would make entries creep up over a long session.
 */
function grewWorkingMemory(graph: LoadedGraph, grewBytes: number, inputBytes: number): void {
  if (inputBytes <= graph.largestRunBytes) return;
  graph.largestRunBytes = inputBytes;
  if (grewBytes < GROWTH_NOISE_BYTES) return;
  graph.workingBytes += grewBytes;
  const lease = leases.get(graph);
  if (lease && !lease.evicted) lease.budget?.grow(`session:${lease.key}`, grewBytes);
}

/** The graph's session on the engine's thread, made on first use; if it cannot be made, its runs go to the runtime's thread. */
async function inlineSession(graph: LoadedGraph): Promise<InferenceSession | undefined> {
  graph.inline ??= graph.createInline();
  return graph.inline.catch(() => undefined);
}

function release(graph: LoadedGraph): void {
  void graph.session.release();
  void graph.inline?.then((session) => session.release(), () => undefined);
  void graph.background?.made.then((session) => session?.release());
  const lease = leases.get(graph);
  lease?.budget?.remove(backgroundKey(lease));
}

const backgroundKey = (lease: GraphLease) => `session:${lease.key}~background`;

/**
 * A second copy of a graph is made for background runs only while it is at most this share of the memory budget: a
 * 512 px decoder's copy holds about 160 MB, a 1024 px one's 2.2 GB (whose background runs then share the runtime's
 * thread and queue, as all did before).
 */
const BACKGROUND_COPY_SHARE = 1 / 8;

/**
 * The graph's copy on the low-priority thread, once made; undefined where there is no such thread, the graph runs on
 * another provider (a GPU's queue does not yield to the scheduler) or in a batch job, or its copy would be dear. The
 * first background run begins making it (a load and a warm-up run, on that thread) and runs on the graph's own session
 * meanwhile, as later ones do until it is ready: a run never waits for the copy. (Waited for, a 512 px decoder's copy
 * made the first strip frame take 1.9 s, which Edit then took for a frame's cost and held the next frames back for
 * twice that.) The copy is an entry of the memory budget of its own, counted as the first session's weights and
 * working memory (its runs are the same sizes), and goes with the first when that is evicted.
 */
function backgroundSession(graph: LoadedGraph): RuntimeSession | undefined {
  if (!lowPriorityThreadAvailable || graph.provider !== 'cpu' || graph.mode !== 'interactive') return undefined;
  if (graph.background) return graph.background.ready;
  const lease = leases.get(graph);
  const bytes = (lease?.fileBytes ?? 0) + graph.workingBytes;
  if (lease?.budget && bytes > lease.budget.budgetBytes * BACKGROUND_COPY_SHARE) return undefined;
  const background: NonNullable<LoadedGraph['background']> = {
    made: graph.createBackground().then(
      (session) => {
        if (lease?.evicted || graph.background !== background) {
          void session.release();
          return undefined;
        }
        background.ready = session;
        lease?.budget?.add(backgroundKey(lease), {
          kind: 'sessions',
          label: `${lease.label} (background)`,
          bytes,
          busy: () => lease.active > 0,
          release: () => {
            if (graph.background === background) graph.background = undefined;
            void session.release();
          },
        });
        return session;
      },
      () => undefined,
    ),
  };
  graph.background = background;
  return undefined;
}

/** Runs on the graph's session, counted as in use so eviction passes it over; an evicted graph is loaded again. */
async function withSession<T>(graph: LoadedGraph, run: (graph: LoadedGraph) => Promise<T>): Promise<T> {
  const lease = leases.get(graph);
  if (!lease) return run(graph);
  if (lease.evicted) return withSession(await lease.reload(), run);
  lease.active++;
  lease.budget?.touch(`session:${lease.key}`);
  try {
    return await run(graph);
  } finally {
    lease.active--;
    if (lease.active === 0) {
      if (lease.evicted) release(graph);
      // Others may have been kept over the budget while it ran; it stays, as the one used last.
      else lease.budget?.fit(`session:${lease.key}`);
    }
  }
}

async function runOnce(graph: LoadedGraph, inputs: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrtTensor(graph.spec.inputs.find((i) => i.name === name)?.dtype ?? 'float32', t.data, t.shape);
  const batch = Object.values(inputs)[0]?.shape[0] || 1;
  const results = await withSession(graph, async (loaded) => {
    // Cheap runs (a 28×28 decode: 0.3 ms) stay here; a dear one would hold the engine's thread for all of it.
    const expected = loaded.msPerItem * batch;
    loaded.runsInline = loaded.provider === 'cpu' && loaded.mode === 'interactive' && expected <= (loaded.runsInline ? INLINE_MAX_MS : INLINE_MS);
    const inline = loaded.runsInline ? await inlineSession(loaded) : undefined;
    // Background work's dear runs go to the low-priority thread, where a foreground run pauses them. Their time is not
    // the graph's cost (a paused run looks dear), so it is not measured.
    const background = !inline && runPriority() === 'background' ? backgroundSession(loaded) : undefined;
    if (background) return (await background.timedRun(feeds)).outputs;
    if (inline) {
      const started = performance.now();
      const outputs = await inline.run(feeds);
      measured(loaded, (performance.now() - started) / batch);
      return outputs;
    }
    const { outputs, ms, grewBytes } = await loaded.session.timedRun(feeds);
    measured(loaded, ms / batch);
    grewWorkingMemory(loaded, grewBytes, feedBytes(feeds));
    return outputs;
  });
  const out: Record<string, Float32Tensor> = {};
  for (const [name, value] of Object.entries(results)) {
    out[name] = float32Tensor([...value.dims], value.data as Float32Array);
  }
  return out;
}

function sliceBatch(inputs: Record<string, Float32Tensor>, start: number, count: number): Record<string, Float32Tensor> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, t]) => {
      const per = t.data.length / t.shape[0]!;
      return [name, float32Tensor([count, ...t.shape.slice(1)], t.data.subarray(start * per, (start + count) * per))];
    }),
  );
}

function joinBatches(chunks: Record<string, Float32Tensor>[]): Record<string, Float32Tensor> {
  return Object.fromEntries(
    Object.keys(chunks[0]!).map((name) => {
      const parts = chunks.map((c) => c[name]!);
      const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let offset = 0;
      for (const p of parts) {
        data.set(p.data, offset);
        offset += p.data.length;
      }
      const first = parts[0]!;
      return [name, float32Tensor([parts.reduce((n, p) => n + p.shape[0]!, 0), ...first.shape.slice(1)], data)];
    }),
  );
}
