import { Canvas } from '@react-three/fiber';
import { benchOptions } from './benchOptions';
import { SCENE_CANVAS, SceneContent, type SceneCallbacks, type SceneView } from './SceneContent';

/** The scene drawn on the page's own thread, where a canvas cannot be handed to a worker. */
export function InPageScene({ view, callbacks, label }: { view: SceneView; callbacks: SceneCallbacks; label: string }) {
  const canvasProps = SCENE_CANVAS as unknown as Pick<React.ComponentProps<typeof Canvas>, 'frameloop' | 'camera' | 'raycaster' | 'gl'>;
  return (
    <Canvas {...canvasProps} dpr={[1, 2]} role="group" aria-label={label}>
      <SceneContent view={view} callbacks={callbacks} bench={benchOptions.bench} />
    </Canvas>
  );
}
