import { Canvas } from '@react-three/fiber';
import { benchOptions } from './benchOptions';
import { SCENE_CANVAS, SceneContent, type SceneCallbacks, type SceneListens, type SceneView } from './SceneContent';

/** The scene drawn on the page's own thread, where a canvas cannot be handed to a worker. */
export function InPageScene({ view, listens, callbacks, label }: { view: SceneView; listens: SceneListens; callbacks: SceneCallbacks; label: string }) {
  const canvasProps = SCENE_CANVAS as unknown as Pick<React.ComponentProps<typeof Canvas>, 'frameloop' | 'camera' | 'raycaster' | 'gl'>;
  return (
    <Canvas {...canvasProps} dpr={[1, 2]} role="group" aria-label={label}>
      <SceneContent view={view} listens={listens} callbacks={callbacks} bench={benchOptions.bench} />
    </Canvas>
  );
}
