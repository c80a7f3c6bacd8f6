import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Encoding } from '../../state/latentStore';
import { benchOptions } from './benchOptions';
import type { LabelAnchor, SceneBench, SceneCallbacks, SceneEncoding, SceneMarkers, SceneView } from './SceneContent';
import { canDrawInWorker, SceneWorkerCanvas } from './SceneWorkerCanvas';

export type { SceneMarkers } from './SceneContent';

export interface LatentSceneProps {
  encoding: Encoding;
  axes: readonly [number, number, number];
  hiddenClasses: readonly number[];
  markers: SceneMarkers;
  onHover?(index: number | null): void;
  onPick?(index: number, add: boolean): void;
  /** When set, a draggable cursor sits at this code; dragging reports the new code. */
  cursorBase?: Float32Array;
  onCursor?(code: Float32Array): void;
  resetSignal?: number;
  label?: string;
}

/** The benchmark suite's handle on the scene: the same calls whichever thread draws it, each answered by a promise. */
export type PageBench = { [K in keyof SceneBench]: (...args: Parameters<SceneBench[K]>) => Promise<Awaited<ReturnType<SceneBench[K]>>> };

function exposeBench(bench: PageBench) {
  (window as unknown as { __latentBench?: PageBench }).__latentBench = bench;
}

/**
 * Places the arrows' labels, HTML elements over the canvas, at their tips; a label that would overlap one already placed
 * moves down below it, so names stay readable however the arrows bunch up.
 */
function placeLabels(elements: (HTMLElement | null)[], anchors: LabelAnchor[]) {
  const items = anchors.flatMap((anchor, i) => {
    const element = elements[i];
    if (!element) return [];
    return [{ element, x: anchor.x + 6, y: anchor.y - element.offsetHeight / 2, width: element.offsetWidth, height: element.offsetHeight, hidden: anchor.hidden }];
  });
  const placed: { x: number; y: number; width: number; height: number }[] = [];
  for (const item of items.sort((a, b) => a.y - b.y)) {
    let moved = true;
    while (moved) {
      moved = false;
      for (const other of placed) {
        if (item.x < other.x + other.width && other.x < item.x + item.width && item.y < other.y + other.height && other.y < item.y + item.height) {
          item.y = other.y + other.height + 2;
          moved = true;
        }
      }
    }
    placed.push(item);
    item.element.style.transform = `translate(${Math.round(item.x)}px, ${Math.round(item.y)}px)`;
    item.element.style.visibility = item.hidden ? 'hidden' : 'visible';
  }
}

/** three.js and the scene load on the page only where the worker cannot draw it. */
const InPageScene = lazy(() => import('./InPageScene').then((module) => ({ default: module.InPageScene })));

/**
 * The explorer's 3D view. It is drawn in a worker on an OffscreenCanvas wherever the page can hand its canvas over (in
 * software GL a canvas's first frame blocked the page 100-200 ms), and on the page otherwise; the scene is the same.
 */
export function LatentScene(props: LatentSceneProps) {
  const { encoding, axes, hiddenClasses, markers, cursorBase, resetSignal } = props;
  const [inPage, setInPage] = useState(() => !canDrawInWorker());
  const labels = useRef<(HTMLElement | null)[]>([]);
  const anchors = useRef<LabelAnchor[]>([]);
  const latest = useRef(props);
  latest.current = props;

  // The scene's part of the encoding: its codes stay here (a worker would be sent a copy of every one).
  const sceneEncoding = useMemo<SceneEncoding>(
    () => ({ dim: encoding.dim, labels: encoding.labels, mean: encoding.mean, rank: encoding.rank, components: encoding.components, coords: encoding.coords }),
    [encoding],
  );
  const view = useMemo<SceneView>(() => ({ encoding: sceneEncoding, axes, hiddenClasses, markers, cursorBase, resetSignal }), [sceneEncoding, axes, hiddenClasses, markers, cursorBase, resetSignal]);
  const directions = useMemo(() => markers.directions ?? [], [markers.directions]);

  const onLabelAnchors = useCallback((next: LabelAnchor[]) => {
    anchors.current = next;
    placeLabels(labels.current, next);
  }, []);
  // Stable callbacks that call the latest props, so a new handler from the view does not re-render the scene.
  const callbacks = useMemo<SceneCallbacks>(
    () => ({
      onHover: (index) => latest.current.onHover?.(index),
      onPick: (index, add) => latest.current.onPick?.(index, add),
      onCursor: (code) => latest.current.onCursor?.(code),
      onLabelAnchors,
      onBench: (bench) => exposeBench({ framesDrawn: async () => bench.framesDrawn(), movingPoints: async () => bench.movingPoints(), spin: (ms) => bench.spin(ms), pickMs: async (x, y) => bench.pickMs(x, y) }),
    }),
    [onLabelAnchors],
  );
  const listens = useMemo(
    () => ({ hover: Boolean(props.onHover), pick: Boolean(props.onPick), cursor: Boolean(props.onCursor), labels: directions.length > 0 }),
    [props.onHover, props.onPick, props.onCursor, directions.length],
  );
  labels.current.length = directions.length;
  // The labels exist once their spans commit: place them at the anchors last reported.
  useEffect(() => placeLabels(labels.current, anchors.current), [directions]);

  const label = props.label ?? 'Latent space';
  return (
    <div className="relative h-full w-full">
      {/* Seen until the scene's first frame covers it: the worker's first scene loads three.js before it draws. */}
      <p className="pointer-events-none absolute inset-0 flex items-center justify-center text-xs text-muted">Loading the 3D view…</p>
      {inPage ? (
        <Suspense fallback={null}>
          <InPageScene view={view} listens={listens} callbacks={callbacks} label={label} />
        </Suspense>
      ) : (
        <SceneWorkerCanvas view={view} listens={listens} callbacks={callbacks} bench={benchOptions.bench} label={label} onFailed={() => setInPage(true)} onBench={exposeBench} />
      )}
      <div className="pointer-events-none absolute inset-0 overflow-hidden" aria-hidden>
        {directions.map((d, i) => (
          <span
            key={d.name}
            ref={(element) => {
              labels.current[i] = element;
            }}
            className="absolute left-0 top-0 whitespace-nowrap rounded bg-black/70 px-1.5 py-0.5 text-xs text-[#ffe066]"
            style={{ visibility: 'hidden' }}
            data-testid="direction-label"
          >
            {d.name}
          </span>
        ))}
      </div>
    </div>
  );
}
