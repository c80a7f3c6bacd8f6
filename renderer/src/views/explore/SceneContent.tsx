import { Line, OrbitControls, TransformControls } from '@react-three/drei';
import { useFrame, useThree, type ThreeEvent } from '@react-three/fiber';
import { useEffect, useMemo, useRef, useState } from 'react';
import * as THREE from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import { mulberry32 } from '../../../../electron/common/random';
import { classColor } from '../../lib/classColor';
import type { Encoding } from '../../state/latentStore';
import { MIN_MOVING_POINTS, MovingPointBudget } from './movingPointBudget';
import { nearestPointRaycast } from './nearestPointRaycast';
import { projectCodes } from './projectCodes';

/**
 * The explorer's 3D scene, drawn either in a worker on an OffscreenCanvas (sceneWorker.tsx) or, where a page cannot
 * hand its canvas to a worker, in the page. It imports nothing that needs the DOM: what the page must do (place the
 * direction labels, answer hover and picks) comes back through its callbacks.
 */

/** What the scene draws of an encoding: its coordinates and PCA, not its codes (which stay on the page). */
export type SceneEncoding = Pick<Encoding, 'dim' | 'labels' | 'mean' | 'rank' | 'components' | 'coords'>;

export interface SceneMarkers {
  selection: number[];
  neighbors: number[];
  hovered: number | null;
  imported: { id: string; code: Float32Array }[];
  path?: Float32Array;
  /** Editing directions, drawn as arrows from the dataset's mean code. */
  directions?: { name: string; vector: Float32Array }[];
}

/** Everything the scene shows, as plain data a worker can be sent. */
export interface SceneView {
  encoding: SceneEncoding;
  axes: readonly [number, number, number];
  hiddenClasses: readonly number[];
  markers: SceneMarkers;
  /** When set, a draggable cursor sits at this code; dragging reports the new code. */
  cursorBase?: Float32Array;
  resetSignal?: number;
}

/** Where a direction's label goes: its arrow tip on the canvas, in CSS pixels; hidden when the tip is behind the camera. */
export interface LabelAnchor {
  x: number;
  y: number;
  hidden: boolean;
}

/** The benchmark suite's hooks into the scene (`&bench=1` only). */
export interface SceneBench {
  framesDrawn(): number;
  /** Points the cloud drew in the latest frame while the camera moved. */
  movingPoints(): number;
  /** Orbits for `ms` as a drag does, drawing every frame it can; resolves to frames drawn a second. */
  spin(ms: number): Promise<number>;
  /** One raycast pick of the point cloud at a canvas position, timed. */
  pickMs(x: number, y: number): { ms: number; hits: number };
}

/** The callbacks the view listens to: the scene answers only these (a view without onCursor gets no cursor). */
export interface SceneListens {
  hover: boolean;
  pick: boolean;
  cursor: boolean;
  labels: boolean;
}

export interface SceneCallbacks {
  onHover?(index: number | null): void;
  onPick?(index: number, add: boolean): void;
  onCursor?(code: Float32Array): void;
  onLabelAnchors?(anchors: LabelAnchor[]): void;
  onBench?(bench: SceneBench): void;
}

/** The canvas settings both hosts give the scene. */
export const SCENE_CANVAS = {
  // Drawn on demand (camera moves, hover, data), not every display frame: an idle explorer drawing 10,000 points
  // continuously kept two cores busy in software GL, which the engine's decodes and jobs then lacked.
  frameloop: 'demand',
  camera: { position: [0, 0, 4.2], fov: 50, near: 0.01, far: 100 },
  raycaster: { params: { Points: { threshold: 0.025 } } as THREE.RaycasterParameters },
  gl: { antialias: false, powerPreference: 'high-performance' },
} as const;

const POINT_SIZE = 0.035;

/** Denser clouds get smaller points: they stay readable, and software renderers fill far fewer pixels. */
const pointSize = (count: number) => POINT_SIZE * Math.min(1, Math.sqrt(10_000 / Math.max(count, 1)));

/** What one page's orbits have learned about drawing points while the camera moves. */
const movingBudget = new MovingPointBudget();

/** The indices in a fixed pseudo-random order, so any prefix of the draw order is a uniform sample. */
function shuffled(indices: number[]): Int32Array {
  const out = Int32Array.from(indices);
  const random = mulberry32(0x5eed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * While the orbit controls are dragged, draws only the moving budget's prefix of the cloud, timing each frame. The sample's
 * points are drawn at the size a cloud of that many gets, so it keeps about the look of the whole (5,000 of 100,000 at
 * the whole cloud's size read as a faint dusting).
 */
function useThinWhileMoving(geometry: THREE.BufferGeometry, material: React.RefObject<THREE.PointsMaterial | null>, count: number): void {
  const controls = useThree((state) => state.controls) as unknown as THREE.EventDispatcher<{ start: object; end: object }> | null;
  const invalidate = useThree((state) => state.invalidate);
  const moving = useRef(false);
  const thins = count > MIN_MOVING_POINTS;
  const draw = (points: number) => {
    geometry.setDrawRange(0, points < count ? points : Infinity);
    if (material.current) material.current.size = pointSize(Math.min(points, count));
  };
  useFrame(() => {
    if (moving.current && movingBudget.frame(performance.now(), count)) draw(movingBudget.points(count));
  });
  useEffect(() => {
    if (!controls || !thins) return;
    const thin = () => {
      moving.current = true;
      movingBudget.start();
      draw(movingBudget.points(count));
    };
    // Frames are drawn on demand: the whole cloud needs one more frame once the camera stops.
    const full = () => {
      moving.current = false;
      draw(count);
      invalidate();
    };
    controls.addEventListener('start', thin);
    controls.addEventListener('end', full);
    return () => {
      controls.removeEventListener('start', thin);
      controls.removeEventListener('end', full);
      full();
    };
    // `draw` reads only the geometry, material and count named here.
  }, [controls, geometry, count, thins, invalidate]);
}

/**
 * No hover picking while the camera is dragged: every pointer move of an orbit raycast the whole cloud, and each point
 * it crossed set the hovered point, rendering the view again and asking the engine for its picture. A person orbiting
 * is not pointing at a point. Paused from the drag's first camera move, not from the press, so a click still picks.
 */
function NoHoverWhileOrbiting() {
  const controls = useThree((state) => state.controls) as unknown as THREE.EventDispatcher<{ start: object; change: object; end: object }> | null;
  const setEvents = useThree((state) => state.setEvents);
  useEffect(() => {
    if (!controls) return;
    let pressed = false;
    let paused = false;
    const press = () => {
      pressed = true;
    };
    const moved = () => {
      if (!pressed || paused) return;
      paused = true;
      setEvents({ enabled: false });
    };
    const release = () => {
      pressed = false;
      if (!paused) return;
      paused = false;
      setEvents({ enabled: true });
    };
    controls.addEventListener('start', press);
    controls.addEventListener('change', moved);
    controls.addEventListener('end', release);
    return () => {
      controls.removeEventListener('start', press);
      controls.removeEventListener('change', moved);
      controls.removeEventListener('end', release);
      release();
    };
  }, [controls, setEvents]);
  return null;
}

/** THREE colours per label, made once each. */
const classColors: THREE.Color[] = [];
const colorOf = (label: number) => (classColors[label] ??= new THREE.Color(classColor(label)));

/** Scale that fits the shown components in view while keeping their true proportions. */
function sceneScale(encoding: SceneEncoding, axes: readonly number[]): number {
  const { coords, rank } = encoding;
  const count = coords.length / rank;
  let widest = 0;
  for (const axis of axes) {
    let sum = 0;
    for (let n = 0; n < count; n++) sum += coords[n * rank + axis]! ** 2;
    widest = Math.max(widest, Math.sqrt(sum / count));
  }
  return 0.75 / (widest || 1);
}

function positionsOf(encoding: SceneEncoding, axes: readonly number[], indices: ArrayLike<number>, scale: number): Float32Array {
  const out = new Float32Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    for (let a = 0; a < 3; a++) out[i * 3 + a] = encoding.coords[indices[i]! * encoding.rank + axes[a]!]! * scale;
  }
  return out;
}

/** All dataset points as one Points geometry, coloured by class; hidden classes are left out of the buffer. */
function PointCloud({ encoding, axes, hiddenClasses, scale, onHover, onPick }: Pick<SceneView, 'encoding' | 'axes' | 'hiddenClasses'> & Pick<SceneCallbacks, 'onHover' | 'onPick'> & { scale: number }) {
  const { geometry, visible } = useMemo(() => {
    const visible = shuffled(encoding.labels.flatMap((label, index) => (hiddenClasses.includes(label) ? [] : [index])));
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(positionsOf(encoding, axes, visible, scale), 3));
    const colors = new Float32Array(visible.length * 3);
    visible.forEach((index, i) => colorOf(encoding.labels[index]!).toArray(colors, i * 3));
    geometry.setAttribute('color', new THREE.BufferAttribute(colors, 3));
    geometry.computeBoundingSphere();
    return { geometry, visible };
  }, [encoding, axes, hiddenClasses, scale]);
  useEffect(() => () => geometry.dispose(), [geometry]);
  const material = useRef<THREE.PointsMaterial>(null);
  useThinWhileMoving(geometry, material, visible.length);

  const indexOf = (event: ThreeEvent<PointerEvent | MouseEvent>) => (event.index === undefined ? null : (visible[event.index] ?? null));
  return (
    <points
      geometry={geometry}
      raycast={nearestPointRaycast}
      onPointerMove={(e) => {
        e.stopPropagation();
        onHover?.(indexOf(e));
      }}
      onPointerOut={() => onHover?.(null)}
      onClick={(e) => {
        e.stopPropagation();
        // A press that moved the pointer was an orbit: releasing it over a point must not pick that point.
        if (e.delta > 4) return;
        const index = indexOf(e);
        if (index !== null) onPick?.(index, e.nativeEvent.shiftKey);
      }}
    >
      <pointsMaterial ref={material} size={pointSize(visible.length)} vertexColors sizeAttenuation />
    </points>
  );
}

function Highlight({ positions, color, size }: { positions: Float32Array; color: string; size: number }) {
  const geometry = useMemo(() => {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(positions, 3));
    return g;
  }, [positions]);
  useEffect(() => () => geometry.dispose(), [geometry]);
  if (positions.length === 0) return null;
  return (
    <points geometry={geometry} raycast={() => null}>
      <pointsMaterial size={size} color={color} sizeAttenuation depthTest={false} />
    </points>
  );
}

/** A draggable marker whose position sets the coefficients of the three shown components around a base code. */
function LatentCursor({ encoding, axes, scale, base, onCursor }: { encoding: SceneEncoding; axes: readonly number[]; scale: number; base: Float32Array; onCursor(code: Float32Array): void }) {
  const mesh = useRef<THREE.Mesh>(null);
  const start = useMemo(() => projectCodes(encoding, base, axes), [encoding, base, axes]);
  const [object, setObject] = useState<THREE.Mesh | null>(null);
  const invalidate = useThree((state) => state.invalidate);
  useEffect(() => {
    mesh.current?.position.set(start[0]! * scale, start[1]! * scale, start[2]! * scale);
    invalidate();
  }, [start, scale, invalidate]);
  const moved = () => {
    const p = mesh.current?.position;
    if (!p) return;
    const code = base.slice();
    [p.x, p.y, p.z].forEach((value, a) => {
      const delta = value / scale - start[a]!;
      for (let j = 0; j < encoding.dim; j++) code[j]! += delta * encoding.components[axes[a]! * encoding.dim + j]!;
    });
    onCursor(code);
  };
  return (
    <>
      <mesh
        ref={(m) => {
          mesh.current = m;
          setObject(m);
        }}
        raycast={() => null}
      >
        <sphereGeometry args={[0.06, 20, 20]} />
        <meshBasicMaterial color="#ffffff" />
      </mesh>
      {object && <TransformControls object={object} mode="translate" size={0.7} onObjectChange={moved} />}
    </>
  );
}


/** For the benchmark suite only: times one raycast pick of the point cloud at a canvas position, and counts drawn frames. */
function BenchHooks({ onBench }: { onBench(bench: SceneBench): void }) {
  const { camera, scene, raycaster, size, invalidate } = useThree();
  const controls = useThree((state) => state.controls) as unknown as (THREE.EventDispatcher<{ start: object; end: object }> & { target: THREE.Vector3; update(): void }) | null;
  const drawn = useRef(0);
  // While set, every frame turns the camera a little about the orbit target and asks for the next frame: the rate
  // at which the scene can be drawn while orbiting, whatever rate the input arrives at.
  const spinning = useRef(false);
  useFrame(() => {
    drawn.current++;
    if (!spinning.current || !controls) return;
    camera.position.sub(controls.target).applyAxisAngle(camera.up, 0.02).add(controls.target);
    controls.update();
    invalidate();
  });
  useEffect(() => {
    onBench({
      framesDrawn: () => drawn.current,
      movingPoints: () => movingBudget.lastPoints,
      async spin(ms) {
        if (!controls) return 0;
        controls.dispatchEvent({ type: 'start' });
        spinning.current = true;
        const from = drawn.current;
        const t0 = performance.now();
        invalidate();
        await new Promise((resolve) => setTimeout(resolve, ms));
        spinning.current = false;
        const fps = ((drawn.current - from) * 1000) / (performance.now() - t0);
        controls.dispatchEvent({ type: 'end' });
        return fps;
      },
      pickMs(x, y) {
        const points = scene.children.find((c): c is THREE.Points => c instanceof THREE.Points);
        const t0 = performance.now();
        raycaster.setFromCamera(new THREE.Vector2((x / size.width) * 2 - 1, -(y / size.height) * 2 + 1), camera);
        const hits = points ? raycaster.intersectObject(points) : [];
        return { ms: performance.now() - t0, hits: hits.length };
      },
    });
  }, [camera, scene, raycaster, size, controls, invalidate, onBench]);
  return null;
}

/** Where a direction's arrow ends: the mean code plus the direction, projected on the shown components. */
function directionTip(encoding: SceneEncoding, axes: readonly number[], scale: number, vector: Float32Array): THREE.Vector3 {
  const p = projectCodes(encoding, encoding.mean.map((m, j) => m + vector[j]!), axes);
  return new THREE.Vector3(p[0]! * scale, p[1]! * scale, p[2]! * scale);
}


/** Reports where the arrows' tips are on the canvas after every frame that moved one, for the page to place their labels. */
function DirectionAnchors({ tips, onAnchors }: { tips: THREE.Vector3[]; onAnchors(anchors: LabelAnchor[]): void }) {
  const screen = useMemo(() => new THREE.Vector3(), []);
  const last = useRef('');
  const invalidate = useThree((state) => state.invalidate);
  useEffect(() => invalidate(), [tips, invalidate]);
  useFrame(({ camera, size }) => {
    const anchors = tips.map((tip) => {
      screen.copy(tip).project(camera);
      return { x: Math.round(((screen.x + 1) / 2) * size.width), y: Math.round(((1 - screen.y) / 2) * size.height), hidden: screen.z > 1 };
    });
    const key = JSON.stringify(anchors);
    if (key === last.current) return;
    last.current = key;
    onAnchors(anchors);
  });
  return null;
}

/** An arrow from the mean code along a direction (its projection on the shown components), labelled. */
function DirectionArrow({ encoding, axes, scale, vector }: { encoding: SceneEncoding; axes: readonly number[]; scale: number; vector: Float32Array }) {
  const tip = useMemo(() => directionTip(encoding, axes, scale, vector), [encoding, axes, scale, vector]);
  const origin = useMemo(() => new THREE.Vector3(0, 0, 0), []);
  const rotation = useMemo(() => new THREE.Euler().setFromQuaternion(new THREE.Quaternion().setFromUnitVectors(new THREE.Vector3(0, 1, 0), tip.clone().normalize())), [tip]);
  return (
    <group>
      <Line points={[origin, tip]} color="#ffe066" lineWidth={2} />
      <mesh position={tip} rotation={rotation} raycast={() => null}>
        <coneGeometry args={[0.03, 0.09, 12]} />
        <meshBasicMaterial color="#ffe066" />
      </mesh>
    </group>
  );
}

/** The scene itself: the cloud, its markers, the cursor and the camera's controls. */
export function SceneContent({ view, listens, callbacks, bench }: { view: SceneView; listens: SceneListens; callbacks: SceneCallbacks; bench?: boolean }) {
  const { encoding, axes, markers } = view;
  const scale = useMemo(() => sceneScale(encoding, axes), [encoding, axes]);
  const controls = useRef<OrbitControlsImpl>(null);
  useEffect(() => {
    controls.current?.reset();
  }, [view.resetSignal]);

  const selection = useMemo(() => positionsOf(encoding, axes, markers.selection, scale), [encoding, axes, markers.selection, scale]);
  const neighbors = useMemo(() => positionsOf(encoding, axes, markers.neighbors, scale), [encoding, axes, markers.neighbors, scale]);
  const hovered = useMemo(() => positionsOf(encoding, axes, markers.hovered === null ? [] : [markers.hovered], scale), [encoding, axes, markers.hovered, scale]);
  const imported = useMemo(() => markers.imported.map((m) => ({ id: m.id, at: projectCodes(encoding, m.code, axes).map((v) => v * scale) })), [encoding, axes, markers.imported, scale]);
  const path = useMemo(() => {
    if (!markers.path) return undefined;
    const p = projectCodes(encoding, markers.path, axes);
    return Array.from({ length: p.length / 3 }, (_, i) => new THREE.Vector3(p[i * 3]! * scale, p[i * 3 + 1]! * scale, p[i * 3 + 2]! * scale));
  }, [encoding, axes, markers.path, scale]);

  const directions = useMemo(() => markers.directions ?? [], [markers.directions]);
  const tips = useMemo(() => directions.map((d) => directionTip(encoding, axes, scale, d.vector)), [directions, encoding, axes, scale]);

  return (
    <>
      <color attach="background" args={['#0b0d11']} />
      <PointCloud encoding={encoding} axes={axes} hiddenClasses={view.hiddenClasses} scale={scale} onHover={listens.hover ? callbacks.onHover : undefined} onPick={listens.pick ? callbacks.onPick : undefined} />
      <Highlight positions={neighbors} color="#7c9cff" size={0.07} />
      <Highlight positions={selection} color="#ffffff" size={0.1} />
      <Highlight positions={hovered} color="#ffffff" size={0.08} />
      {imported.map((m) => (
        <mesh key={m.id} position={[m.at[0]!, m.at[1]!, m.at[2]!]} raycast={() => null}>
          <octahedronGeometry args={[0.07]} />
          <meshBasicMaterial color="#ffe066" wireframe />
        </mesh>
      ))}
      {path && path.length > 1 && <Line points={path} color="#7c9cff" lineWidth={2} />}
      {directions.map((d) => <DirectionArrow key={d.name} encoding={encoding} axes={axes} scale={scale} vector={d.vector} />)}
      {listens.labels && callbacks.onLabelAnchors && <DirectionAnchors tips={tips} onAnchors={callbacks.onLabelAnchors} />}
      {view.cursorBase && listens.cursor && callbacks.onCursor && <LatentCursor encoding={encoding} axes={axes} scale={scale} base={view.cursorBase} onCursor={callbacks.onCursor} />}
      <axesHelper args={[0.4]} />
      <OrbitControls ref={controls} makeDefault enableDamping dampingFactor={0.1} />
      <NoHoverWhileOrbiting />
      {bench && callbacks.onBench && <BenchHooks onBench={callbacks.onBench} />}
    </>
  );
}
