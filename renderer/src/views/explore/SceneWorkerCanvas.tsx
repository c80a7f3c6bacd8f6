import { useEffect, useRef } from 'react';
import type { PageBench } from './LatentScene';
import type { SceneCallbacks, SceneListens, SceneView } from './SceneContent';
import { FORWARDED_EVENTS, forwardedEvent, type BenchMethod, type FromSceneWorker, type SceneSize, type SceneViewData, type ToSceneWorker } from './sceneProtocol';

/** Whether this page can hand a canvas to a worker that draws WebGL on it. */
export function canDrawInWorker(): boolean {
  return !workerFailed && typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined' && typeof HTMLCanvasElement !== 'undefined' && 'transferControlToOffscreen' in HTMLCanvasElement.prototype;
}

/** One worker draws every scene of the page; it starts with the first and stays, so a view opened again starts warm. */
let worker: Worker | undefined;
/** Set once the worker has failed: later scenes are drawn on the page rather than in a worker that fails again. */
let workerFailed = false;
const listeners = new Map<number, (message: FromSceneWorker) => void>();
let nextId = 1;

function sceneWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./sceneWorker.tsx', import.meta.url), { type: 'module', name: 'latent-scene' });
  worker.onmessage = (event: MessageEvent<FromSceneWorker>) => listeners.get(event.data.id)?.(event.data);
  // A worker that cannot start (its script refused, say) fails every scene it was given: the page draws them.
  worker.onerror = (event) => {
    workerFailed = true;
    for (const [id, listener] of listeners) listener({ type: 'failed', id, message: event.message || 'the scene worker stopped' });
  };
  return worker;
}

const send = (message: ToSceneWorker, transfer: Transferable[] = []) => {
  if (!workerFailed) sceneWorker().postMessage(message, transfer);
};

function sizeOf(element: HTMLElement): SceneSize {
  return { width: Math.max(1, element.clientWidth), height: Math.max(1, element.clientHeight) };
}

export interface SceneWorkerCanvasProps {
  view: SceneView;
  listens: SceneListens;
  callbacks: SceneCallbacks;
  bench: boolean;
  label: string;
  onFailed(): void;
  onBench(bench: PageBench): void;
}

/**
 * A canvas whose scene the worker draws: the page sends it the view (each part only when it changes) and its pointer
 * events, and hears back hovers, picks, cursor moves and where the direction labels go.
 */
export function SceneWorkerCanvas({ view, listens, callbacks, bench, label, onFailed, onBench }: SceneWorkerCanvasProps) {
  const host = useRef<HTMLDivElement>(null);
  const id = useRef(0);
  const latest = useRef({ callbacks, onFailed, onBench });
  latest.current = { callbacks, onFailed, onBench };
  const sent = useRef<Partial<SceneViewData>>({});
  /** The latest encoding sent: answers about an earlier one's cloud are dropped. */
  const encodingSeq = useRef(0);

  useEffect(() => {
    const element = host.current!;
    // The canvas is made here, not rendered: a canvas handed to a worker cannot be handed again, and React's strict
    // mode mounts every effect twice.
    const canvas = document.createElement('canvas');
    canvas.className = 'block h-full w-full';
    canvas.style.touchAction = 'none';
    element.appendChild(canvas);
    const sceneId = nextId++;
    id.current = sceneId;
    sent.current = {};
    const pending = new Map<number, (result: unknown) => void>();
    let nextCall = 1;
    listeners.set(sceneId, (message) => {
      const { callbacks: cb } = latest.current;
      if ('seq' in message && message.seq !== encodingSeq.current) return;
      if (message.type === 'hover') cb.onHover?.(message.index);
      else if (message.type === 'pick') cb.onPick?.(message.index, message.add);
      else if (message.type === 'cursor') cb.onCursor?.(message.code);
      else if (message.type === 'labels') cb.onLabelAnchors?.(message.anchors);
      else if (message.type === 'bench') {
        pending.get(message.call)?.(message.result);
        pending.delete(message.call);
      } else if (message.type === 'failed') {
        console.warn(`The 3D view is drawn on the page: ${message.message}`);
        latest.current.onFailed();
      }
    });
    const offscreen = canvas.transferControlToOffscreen();
    send({ type: 'init', id: sceneId, canvas: offscreen, size: sizeOf(element), dpr: Math.min(Math.max(1, window.devicePixelRatio || 1), 2), bench }, [offscreen]);

    const forward = (event: Event) => {
      const pointer = event as PointerEvent;
      // As on a canvas the scene owns: a press keeps the pointer's moves until it is released, even off the canvas;
      // the wheel zooms instead of scrolling the page; the context menu gives way to right-drag panning.
      if (event.type === 'pointerdown') canvas.setPointerCapture(pointer.pointerId);
      if (event.type === 'wheel' || event.type === 'contextmenu') event.preventDefault();
      send({ type: 'event', id: sceneId, event: forwardedEvent(pointer) });
    };
    for (const type of FORWARDED_EVENTS) canvas.addEventListener(type, forward, { passive: type !== 'wheel' && type !== 'contextmenu' });
    const resize = new ResizeObserver(() => send({ type: 'resize', id: sceneId, size: sizeOf(element) }));
    resize.observe(element);

    if (bench) {
      const call = (method: BenchMethod, args: number[]) =>
        new Promise<unknown>((resolve) => {
          const callId = nextCall++;
          pending.set(callId, resolve);
          send({ type: 'bench', id: sceneId, call: callId, method, args });
        });
      latest.current.onBench({
        framesDrawn: () => call('framesDrawn', []) as Promise<number>,
        movingPoints: () => call('movingPoints', []) as Promise<number>,
        spin: (ms) => call('spin', [ms]) as Promise<number>,
        pickMs: (x, y) => call('pickMs', [x, y]) as Promise<{ ms: number; hits: number }>,
      });
    }

    return () => {
      resize.disconnect();
      for (const type of FORWARDED_EVENTS) canvas.removeEventListener(type, forward);
      listeners.delete(sceneId);
      send({ type: 'dispose', id: sceneId });
      canvas.remove();
    };
    // One scene per mount; what changes later travels in the effects below.
  }, [bench]);

  useEffect(() => {
    send({ type: 'encoding', id: id.current, seq: ++encodingSeq.current, encoding: view.encoding });
  }, [view.encoding]);

  useEffect(() => {
    const next: SceneViewData = { axes: view.axes, hiddenClasses: view.hiddenClasses, ...view.markers, cursorBase: view.cursorBase, resetSignal: view.resetSignal, listens };
    const patch: Partial<SceneViewData> = {};
    let changed = false;
    for (const key of Object.keys(next) as (keyof SceneViewData)[]) {
      if (key in sent.current && sent.current[key] === next[key]) continue;
      (patch as Record<string, unknown>)[key] = next[key];
      changed = true;
    }
    if (!changed) return;
    sent.current = next;
    send({ type: 'view', id: id.current, patch });
  }, [view.axes, view.hiddenClasses, view.markers, view.cursorBase, view.resetSignal, listens]);
  // (view.markers is often a new object each render; only its changed parts are sent.)

  // Positioned, so it lies over the loading line until its first frame.
  return <div ref={host} className="relative h-full w-full overflow-hidden" role="group" aria-label={label} />;
}
