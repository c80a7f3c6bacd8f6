import { lazy, Suspense } from 'react';
import type { LatentSceneProps } from './LatentScene';

/**
 * three.js and react-three-fiber, about half of the page's script, load with the first 3D scene instead of with the
 * page: evaluating the one bundle made every page load a main-thread task of 107-114 ms, whichever view it opened on.
 */
const Scene = lazy(() => import('./LatentScene').then((module) => ({ default: module.LatentScene })));

export function LatentScene(props: LatentSceneProps) {
  return (
    <Suspense fallback={<p className="flex h-full w-full items-center justify-center text-xs text-muted">Loading the 3D view…</p>}>
      <Scene {...props} />
    </Suspense>
  );
}
