// ONNX Runtime's sessions, on a thread of their own. onnxruntime-node's `session.run` holds the thread that calls it
// for the whole run, so on the engine's thread every decode froze the server (or Electron's main process): no message
// read, no cancel, no autosave, for as long as the run took. Loaded as source by remoteSessions.ts (a worker evaluated
// from text, so it needs no file of its own in a bundle); messages: { id, op: 'create' | 'run' | 'release', ... }.
const { parentPort, workerData } = require('node:worker_threads');

// The low-priority thread (workerData.nice) lowers its own scheduling priority before it loads the runtime: on Linux a
// thread's nice value is its own, and the threads ONNX Runtime starts for a session inherit it from this one (elsewhere
// the call would lower the whole process).
let nice = 0;
if (workerData.nice && process.platform === 'linux') {
  try {
    require('node:os').setPriority(0, workerData.nice);
    nice = require('node:os').getPriority(0);
  } catch {
    // Left at the process's priority: runs still happen, only without yielding.
  }
}
const ort = require(workerData.ortPath);

// ONNX Runtime sets up its environment and CPU kernels with its first session: 100-120 ms here, which the first model's
// session paid (the next models' took 10-40 ms). A 67-byte graph (y = Identity(x), float [1], opset 13, written with
// onnx.helper) made and released as the thread starts takes that cost while the page or window is still loading.
const WARM_UP_GRAPH = 'CAcSADo3ChAKAXgSAXkiCElkZW50aXR5EgF3Wg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==';
const warmedUp = ort.InferenceSession.create(Buffer.from(WARM_UP_GRAPH, 'base64')).then(
  (session) => session.release(),
  () => undefined,
);

const sessions = new Map();
let nextKey = 1;

const metadata = (list) => list.map((m) => ({ name: m.name, isTensor: m.isTensor, ...(m.isTensor ? { type: m.type, shape: [...m.shape] } : {}) }));

async function handle(message) {
  if (message.op === 'create') {
    const session = await ort.InferenceSession.create(message.model, message.options);
    const key = nextKey++;
    sessions.set(key, session);
    return {
      value: {
        key,
        nice,
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        inputMetadata: metadata(session.inputMetadata),
        outputMetadata: metadata(session.outputMetadata),
      },
    };
  }
  const session = sessions.get(message.key);
  if (!session) throw new Error('this session was released');
  if (message.op === 'release') {
    sessions.delete(message.key);
    await session.release();
    return { value: undefined };
  }
  const feeds = {};
  for (const [name, t] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  const results = await session.run(feeds);
  const ms = performance.now() - started;
  const grew = process.memoryUsage.rss() - rssBefore;
  const value = { outputs: {}, ms, grewBytes: 0 };
  const transfer = [];
  let outputBytes = 0;
  for (const [name, t] of Object.entries(results)) {
    const data = t.data;
    value.outputs[name] = { type: t.type, dims: [...t.dims], data, size: t.size };
    // The worker keeps nothing of a result, so its memory moves to the caller rather than being copied.
    if (data && data.buffer && !transfer.includes(data.buffer)) {
      transfer.push(data.buffer);
      outputBytes += data.buffer.byteLength;
    }
  }
  // What the run left resident besides its outputs: the session's arena grown to hold this run's activations (it keeps
  // them for the session's life). Messages are handled one at a time (below), so the growth is this session's, but for
  // what the engine's thread (or the other runtime thread's runs) allocated meanwhile.
  value.grewBytes = Math.max(0, grew - outputBytes);
  return { value, transfer };
}

// One message at a time, each begun when the one before has ended. onnxruntime-node does a run (and a load) in a
// setImmediate after `run` returns its promise, so messages that arrived together all began before any of their runs:
// each measured its memory before the others' runs and after its own, and a 28×28 decode asked for beside a 256 px one
// counted the 256 px run's 296 MB as its own. Runs took turns on this thread anyway; now each measures only itself.
let previous = warmedUp;
parentPort.on('message', (message) => {
  previous = previous.then(() =>
    handle(message).then(
      ({ value, transfer }) => parentPort.postMessage({ id: message.id, value }, transfer ?? []),
      (error) => parentPort.postMessage({ id: message.id, error: String(error && error.message ? error.message : error) }),
    ),
  );
});
