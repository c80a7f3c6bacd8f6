import type { LabelAnchor, SceneBench, SceneEncoding, SceneListens, SceneMarkers, SceneView } from './SceneContent';

/**
 * Messages between the page and the worker that draws its 3D scenes (sceneWorker.tsx). Both sides are this app's own
 * code in one origin; each scene is named by the id the page gave it, since one worker draws every scene of a page.
 */

/** The canvas's size in CSS pixels. */
export interface SceneSize {
  width: number;
  height: number;
}

/** What the worker's controls and raycaster read of a pointer or wheel event on the page's canvas. */
export interface ForwardedEvent {
  type: string;
  /** Relative to the canvas; the worker's canvas says it sits at (0, 0), so clientX/Y are these too. */
  offsetX: number;
  offsetY: number;
  button: number;
  buttons: number;
  pointerId: number;
  pointerType: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  deltaX: number;
  deltaY: number;
  deltaMode: number;
}

export type BenchMethod = keyof SceneBench;

/** The view without its encoding, its markers one by one (each is sent only when it changes), and which callbacks the page listens to. */
export type SceneViewData = Omit<SceneView, 'encoding' | 'markers'> & SceneMarkers & { listens: SceneListens };

export type ToSceneWorker =
  | { type: 'init'; id: number; canvas: OffscreenCanvas; size: SceneSize; dpr: number; bench: boolean }
  /** Sent apart from the rest of the view, and only when it changes: it can be megabytes. `seq` counts the scene's encodings. */
  | { type: 'encoding'; id: number; seq: number; encoding: SceneEncoding }
  /** The parts of the view that changed since the last message (a path of large codes is sent once, not at every hover). */
  | { type: 'view'; id: number; patch: Partial<SceneViewData> }
  | { type: 'resize'; id: number; size: SceneSize }
  | { type: 'event'; id: number; event: ForwardedEvent }
  | { type: 'bench'; id: number; call: number; method: BenchMethod; args: number[] }
  | { type: 'dispose'; id: number };

/** Hovers, picks and cursor moves name the encoding (its `seq`) whose cloud the pointer was over. */
export type FromSceneWorker =
  | { type: 'hover'; id: number; seq: number; index: number | null }
  | { type: 'pick'; id: number; seq: number; index: number; add: boolean }
  | { type: 'cursor'; id: number; seq: number; code: Float32Array }
  | { type: 'labels'; id: number; anchors: LabelAnchor[] }
  | { type: 'bench'; id: number; call: number; result: unknown }
  /** The worker could not draw this scene (no WebGL in a worker, say): the page draws it itself. */
  | { type: 'failed'; id: number; message: string };

/** The pointer and wheel events the scene's controls and raycaster listen to. */
export const FORWARDED_EVENTS = ['pointerdown', 'pointermove', 'pointerup', 'pointercancel', 'pointerleave', 'lostpointercapture', 'click', 'dblclick', 'contextmenu', 'wheel'] as const;

export function forwardedEvent(event: PointerEvent | MouseEvent | WheelEvent): ForwardedEvent {
  const pointer = event as Partial<PointerEvent>;
  const wheel = event as Partial<WheelEvent>;
  return {
    type: event.type,
    offsetX: event.offsetX,
    offsetY: event.offsetY,
    button: event.button,
    buttons: event.buttons,
    pointerId: pointer.pointerId ?? 1,
    pointerType: pointer.pointerType ?? 'mouse',
    shiftKey: event.shiftKey,
    ctrlKey: event.ctrlKey,
    altKey: event.altKey,
    metaKey: event.metaKey,
    deltaX: wheel.deltaX ?? 0,
    deltaY: wheel.deltaY ?? 0,
    deltaMode: wheel.deltaMode ?? 0,
  };
}
