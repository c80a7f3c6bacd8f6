import { createEvents, createRoot, extend, type DomEvent, type EventManager, type Events, type ReconcilerRoot, type RootState } from '@react-three/fiber';
import * as THREE from 'three';
import type { StoreApi, UseBoundStore } from 'zustand';
import { SCENE_CANVAS, SceneContent, type SceneBench, type SceneCallbacks, type SceneEncoding, type SceneView } from './SceneContent';
import { FORWARDED_EVENTS, type ForwardedEvent, type FromSceneWorker, type SceneSize, type SceneViewData, type ToSceneWorker } from './sceneProtocol';

/**
 * Draws the page's 3D scenes on the canvases it hands over, so that WebGL's work never runs on the page's main thread.
 * In software GL (SwiftShader, a machine without a GPU) a new canvas's first frame read its pixels back for 100-200 ms,
 * a task that blocked the page; here that wait is this thread's. The page forwards pointer events and the view; this
 * worker answers with what the person pointed at.
 */

extend(THREE as unknown as Parameters<typeof extend>[0]);

// three-stdlib's TransformControls compares the element it is given with `document`, which a worker does not have.
(globalThis as { document?: unknown }).document ??= {};

const post = (message: FromSceneWorker) => self.postMessage(message);

/**
 * The worker's canvas made to pass for the page's canvas element and its document, which three.js's controls and
 * react-three-fiber's events listen on: the pointer events the page forwards, a size at (0, 0), and pointer capture
 * (which the page does for the real canvas). Other events (WebGL's context loss) stay the canvas's own.
 */
type CanvasStandIn = OffscreenCanvas & {
  clientWidth: number;
  clientHeight: number;
  dispatch(forwarded: ForwardedEvent): void;
};

const POINTER_TYPES = new Set<string>(FORWARDED_EVENTS);

function standInFor(canvas: OffscreenCanvas, size: SceneSize): CanvasStandIn {
  const listeners = new Map<string, Set<(event: unknown) => void>>();
  const own = { add: canvas.addEventListener.bind(canvas), remove: canvas.removeEventListener.bind(canvas) };
  const standIn = canvas as CanvasStandIn;
  Object.assign(standIn, {
    clientWidth: size.width,
    clientHeight: size.height,
    style: {},
    ownerDocument: standIn,
    getRootNode: () => standIn,
    addEventListener(type: string, listener: (event: unknown) => void, options?: AddEventListenerOptions) {
      if (!POINTER_TYPES.has(type)) return own.add(type, listener as EventListener, options);
      const set = listeners.get(type) ?? new Set();
      set.add(listener);
      listeners.set(type, set);
    },
    removeEventListener(type: string, listener: (event: unknown) => void, options?: EventListenerOptions) {
      if (!POINTER_TYPES.has(type)) return own.remove(type, listener as EventListener, options);
      listeners.get(type)?.delete(listener);
    },
    dispatch(forwarded: ForwardedEvent) {
      const { offsetX: x, offsetY: y } = forwarded;
      const event = { ...forwarded, clientX: x, clientY: y, pageX: x, pageY: y, x, y, target: standIn, currentTarget: standIn, preventDefault() {}, stopPropagation() {} };
      for (const listener of [...(listeners.get(forwarded.type) ?? [])]) listener(event);
    },
    getBoundingClientRect: () => ({ left: 0, top: 0, x: 0, y: 0, width: standIn.clientWidth, height: standIn.clientHeight, right: standIn.clientWidth, bottom: standIn.clientHeight }),
    setPointerCapture() {},
    releasePointerCapture() {},
    hasPointerCapture: () => false,
    focus() {},
  });
  return standIn;
}

/** react-three-fiber's handler names and the DOM events they answer. */
const HANDLER_EVENTS: Record<keyof Events, string> = {
  onClick: 'click',
  onContextMenu: 'contextmenu',
  onDoubleClick: 'dblclick',
  onWheel: 'wheel',
  onPointerDown: 'pointerdown',
  onPointerUp: 'pointerup',
  onPointerLeave: 'pointerleave',
  onPointerMove: 'pointermove',
  onPointerCancel: 'pointercancel',
  onLostPointerCapture: 'lostpointercapture',
};

/** react-three-fiber's pointer events, fed from the stand-in instead of a DOM element. */
function standInEvents(standIn: CanvasStandIn) {
  return (store: UseBoundStore<StoreApi<RootState>>): EventManager<CanvasStandIn> => {
    const { handlePointer } = createEvents(store);
    const handlers = Object.fromEntries(Object.keys(HANDLER_EVENTS).map((name) => [name, handlePointer(name)])) as unknown as Events;
    const each = (f: (type: string, handler: (event: unknown) => void) => void) => {
      for (const [name, type] of Object.entries(HANDLER_EVENTS)) f(type, handlers[name as keyof Events] as (event: unknown) => void);
    };
    return {
      priority: 1,
      enabled: true,
      compute(event: DomEvent, state: RootState) {
        state.pointer.set((event.offsetX / state.size.width) * 2 - 1, -(event.offsetY / state.size.height) * 2 + 1);
        state.raycaster.setFromCamera(state.pointer, state.camera);
      },
      connected: undefined,
      handlers,
      connect() {
        store.getState().events.disconnect?.();
        each((type, handler) => standIn.addEventListener(type, handler));
        store.setState((state) => ({ events: { ...state.events, connected: standIn } }));
      },
      disconnect() {
        if (!store.getState().events.connected) return;
        each((type, handler) => standIn.removeEventListener(type, handler));
        store.setState((state) => ({ events: { ...state.events, connected: undefined } }));
      },
    };
  };
}

interface Scene {
  root: ReconcilerRoot<OffscreenCanvas>;
  standIn: CanvasStandIn;
  size: SceneSize;
  dpr: number;
  bench: boolean;
  ready: Promise<void>;
  encoding?: { seq: number; data: SceneEncoding };
  view: Partial<SceneViewData>;
  benchHooks?: SceneBench;
}

const scenes = new Map<number, Scene>();

function configure(scene: Scene) {
  return scene.root.configure({
    ...SCENE_CANVAS,
    // The same camera object each time: different options would make a new camera, losing the orbit at every resize.
    camera: SCENE_CANVAS.camera as unknown as { position: [number, number, number] },
    size: { ...scene.size, top: 0, left: 0 },
    dpr: scene.dpr,
    events: standInEvents(scene.standIn) as unknown as (store: UseBoundStore<StoreApi<RootState>>) => EventManager<HTMLElement>,
  });
}

function render(scene: Scene, id: number) {
  const { encoding } = scene;
  const { listens, axes, hiddenClasses, cursorBase, resetSignal, selection, neighbors, hovered, imported, path, directions } = scene.view;
  if (!encoding || !listens || !axes || !hiddenClasses || !selection || !neighbors || hovered === undefined || !imported) return;
  // What the person pointed at is named with the encoding this tree draws: the page may have moved on to another
  // model's since, and an index into the old cloud would pick the wrong image, or none, in the new one.
  const { seq } = encoding;
  const callbacks: SceneCallbacks = {
    onHover: (index) => post({ type: 'hover', id, seq, index }),
    onPick: (index, add) => post({ type: 'pick', id, seq, index, add }),
    onCursor: (code) => post({ type: 'cursor', id, seq, code }),
    onLabelAnchors: (anchors) => post({ type: 'labels', id, anchors }),
    onBench: (hooks) => {
      scene.benchHooks = hooks;
    },
  };
  const view: SceneView = { encoding: encoding.data, axes, hiddenClasses, cursorBase, resetSignal, markers: { selection, neighbors, hovered, imported, path, directions } };
  void scene.ready.then(() => scene.root.render(<SceneContent view={view} listens={listens} callbacks={callbacks} bench={scene.bench} />));
}

function init(message: Extract<ToSceneWorker, { type: 'init' }>) {
  const { id, canvas, size, dpr, bench } = message;
  const standIn = standInFor(canvas, size);
  const scene: Scene = {
    root: createRoot(standIn),
    standIn,
    size,
    dpr,
    bench,
    view: {},
    ready: Promise.resolve(),
  };
  scene.ready = configure(scene).then(
    () => undefined,
    (error: unknown) => {
      scenes.delete(id);
      post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
      throw error;
    },
  );
  scenes.set(id, scene);
}

async function answerBench(scene: Scene, message: Extract<ToSceneWorker, { type: 'bench' }>) {
  const hooks = scene.benchHooks;
  const args = message.args as [number, number];
  const result = hooks ? await (hooks[message.method] as (...a: number[]) => unknown)(...args) : null;
  post({ type: 'bench', id: message.id, call: message.call, result });
}

self.onmessage = (event: MessageEvent<ToSceneWorker>) => {
  const message = event.data;
  if (message.type === 'init') return init(message);
  const scene = scenes.get(message.id);
  if (!scene) return;
  switch (message.type) {
    case 'encoding':
      scene.encoding = { seq: message.seq, data: message.encoding };
      return render(scene, message.id);
    case 'view':
      scene.view = { ...scene.view, ...message.patch };
      return render(scene, message.id);
    case 'resize':
      scene.size = message.size;
      scene.standIn.clientWidth = message.size.width;
      scene.standIn.clientHeight = message.size.height;
      void scene.ready.then(() => configure(scene));
      return;
    case 'event':
      return scene.standIn.dispatch(message.event);
    case 'bench':
      return void answerBench(scene, message);
    case 'dispose':
      scenes.delete(message.id);
      void scene.ready.then(() => scene.root.unmount());
      return;
  }
};
