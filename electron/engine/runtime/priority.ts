import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Whose work a run is. 'foreground' is what a person waits for (a drag's picture); 'background' is work done ahead on
 * speculation (a slider's strip, the frames near its thumb), which must never delay the other: onnxruntime-node cannot
 * stop a run once begun, so a drag's decode that queued behind a 512 px strip frame waited up to a whole decode.
 * Dear background runs go to a thread of low scheduling priority (remoteSessions.ts), where the operating system
 * pauses them whenever a foreground run wants the cores.
 */
export type RunPriority = 'foreground' | 'background';

const current = new AsyncLocalStorage<RunPriority>();

/** Runs `work` with every graph run it makes at `priority` (set inside the work, not inherited from whoever started it). */
export function withPriority<T>(priority: RunPriority, work: () => Promise<T>): Promise<T> {
  return current.run(priority, work);
}

/** The priority of the work this run belongs to; foreground unless a caller said otherwise. */
export function runPriority(): RunPriority {
  return current.getStore() ?? 'foreground';
}
