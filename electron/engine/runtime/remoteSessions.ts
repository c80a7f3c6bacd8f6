import type { InferenceSession } from 'onnxruntime-node';
import { ownBytes } from '../../api/ownBuffers';
import workerSource from './sessionWorker.cjs?raw';
import { nodeRequire } from './ort';
import { WorkerCalls } from './workerCalls';

/** A tensor as it crosses to and from the runtime's thread: ort.Tensor has this shape, and so do the results. */
export interface TensorData {
  type: string;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array | Int8Array | Uint16Array | Int16Array | Uint32Array | BigUint64Array | string[];
  size?: number;
}

/** A run's outputs, how long the run itself took, and how much the process's resident memory grew over it besides the outputs. */
type TimedRun = { outputs: Record<string, Required<TensorData>>; ms: number; grewBytes: number };

/** What the engine uses of an InferenceSession, run on the runtime's own thread. */
export interface RuntimeSession {
  /** The scheduling priority its thread runs at (0 unless the thread lowered it). */
  readonly nice: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, Required<TensorData>>>;
  /**
   * run, with how long the run itself took on the runtime's thread (without the hop there and back) and how much the
   * process's resident memory grew over it besides its outputs (the session's arena growing).
   */
  timedRun(feeds: Record<string, TensorData>): Promise<TimedRun>;
  release(): Promise<void>;
}

/**
 * A thread ONNX Runtime sessions live and run on. onnxruntime-node's `run` holds its calling thread for the whole run
 * (a 512 px decode: 0 of 316 one-millisecond timers fired during it), so on the engine's thread each run froze the
 * server, or Electron's main process, with everything it serves. Runs on one thread go one at a time (the worker takes
 * one message at a time, so what a run grows the process by is measured for that run alone); the engine's thread
 * meanwhile reads messages, answers cheap calls and encodes replies. The worker is started with its first session, and
 * holds the process open only while something waits on it.
 */
class RuntimeThread {
  /** `nice`: the scheduling priority the thread (and the runtime's threads it starts) takes, where the system allows. */
  constructor(private readonly nice = 0) {}

  private readonly calls = new WorkerCalls(workerSource, () => ({ ortPath: nodeRequire.resolve('onnxruntime-node'), nice: this.nice }), {
    failed: (message) => message,
    stopped: (reason) => `ONNX Runtime's thread stopped (${reason}): run it again`,
  }, () => this.checkSettled());
  private settledWaiters: (() => void)[] = [];

  /**
   * Resolves once nothing waits on the thread, still so a turn of the event loop later (a finished run's session
   * release follows it), or after maxMs. A run cannot be abandoned, and a process that exits during one aborts
   * ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT): quitting waits for this first.
   */
  settled(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.settledWaiters.push(done);
      this.checkSettled();
    });
  }

  private checkSettled(): void {
    if (this.calls.busy || this.settledWaiters.length === 0) return;
    setImmediate(() => {
      if (this.calls.busy) return;
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const done of waiters) done();
    });
  }

  call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    return this.calls.call<T>(message, transfer);
  }

  start(): void {
    this.calls.start();
  }
}

/** Where every session lives unless it runs background work. */
const runtimeThread = new RuntimeThread();

/**
 * Starts the runtime's thread, which loads ONNX Runtime as it starts, ahead of the first session: at a cold start the
 * page's first sample grid waited for it (the first cold decode took 255 ms, the next models' 50-80 ms). It holds the
 * process open no more than an idle thread does.
 */
export function startRuntime(): void {
  runtimeThread.start();
}

/**
 * Sessions for background work (runPriority: a slider's strip, frames near its thumb) live on a second thread of the
 * lowest priority, so a foreground run on the first thread takes the cores whenever it wants them and the operating
 * system pauses the background run meanwhile (a 512 px decode beside a background one: 130 ms against 132 alone, and
 * 247 at equal priority). Only on Linux, where a thread's priority is its own; elsewhere background work shares the
 * first thread and queues as it did.
 */
export const lowPriorityThreadAvailable = process.platform === 'linux';
const LOWEST_PRIORITY = 19;
let backgroundThread: RuntimeThread | undefined;

/** Resolves once neither runtime thread has a run or release in flight, or after maxMs: see RuntimeThread.settled. */
export const runtimeSettled = async (maxMs = 5000): Promise<void> => {
  await Promise.all([runtimeThread.settled(maxMs), backgroundThread?.settled(maxMs)]);
};

/**
 * Feeds as they are posted to the runtime's thread. A typed array is cloned with the whole buffer it views, so a chunk of
 * a batch (a subarray) would carry the entire batch across on every run: an encoder's 32-image runs over a 256-image
 * buffer at 256 px sent 201 MB each and took 13 times as long as the run. Such a view's own bytes are copied out and
 * moved; a whole buffer is cloned as it is. The caller keeps its arrays either way.
 */
export function postableFeeds(feeds: Record<string, TensorData>): { feeds: Record<string, TensorData>; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const posted: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = Array.isArray(t.data) ? t.data : ownBytes(t.data);
    if (data !== t.data) transfer.push((data as Exclude<TensorData['data'], string[]>).buffer as ArrayBuffer);
    posted[name] = { type: t.type, dims: [...t.dims], data };
  }
  return { feeds: posted, transfer };
}

/**
 * An ONNX Runtime session from a file or a model's bytes, created and run on the runtime's thread, or with `lowPriority`
 * (where lowPriorityThreadAvailable) on the low-priority one.
 */
export async function createSession(model: string | Uint8Array, options: InferenceSession.SessionOptions = {}, lowPriority = false): Promise<RuntimeSession> {
  const thread = lowPriority && lowPriorityThreadAvailable ? (backgroundThread ??= new RuntimeThread(LOWEST_PRIORITY)) : runtimeThread;
  const info = await thread.call<{ key: number; inputNames: string[]; outputNames: string[]; inputMetadata: InferenceSession.ValueMetadata[]; outputMetadata: InferenceSession.ValueMetadata[]; nice: number }>({ op: 'create', model, options });
  let released: Promise<void> | undefined;
  // Feeds are copied, not moved: callers keep their codes and images.
  const timedRun = (feeds: Record<string, TensorData>) => {
    const posted = postableFeeds(feeds);
    return thread.call<TimedRun>({ op: 'run', key: info.key, feeds: posted.feeds }, posted.transfer);
  };
  return {
    nice: info.nice,
    inputNames: info.inputNames,
    outputNames: info.outputNames,
    inputMetadata: info.inputMetadata,
    outputMetadata: info.outputMetadata,
    run: (feeds) => timedRun(feeds).then(({ outputs }) => outputs),
    timedRun,
    // Once, and never failing: a session whose thread stopped has nothing left to release.
    release: () => (released ??= thread.call({ op: 'release', key: info.key }).then(() => undefined, () => undefined)),
  };
}
