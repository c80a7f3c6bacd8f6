import { useEffect, useMemo, useState } from 'react';
import type { Float32Tensor, Uint8Tensor } from '../../../../electron/api/tensor';
import { ImageTile } from '../../components/ImageTile';
import { FrameCache } from '../../lib/images';

/** The player's longer side at most, CSS px: 6× a 28 px frame, 2× a 256 px one, a 512 px one as it is (6× was 3,072 px wide). */
export const PLAYER_MAX = 512;

/** Plays frames back and forth at a given rate; space toggles play. */
export function AnimationPlayer({ images, fps }: { images: Float32Tensor | Uint8Tensor; fps: number }) {
  const count = images.shape[0]!;
  // Each frame converted once for the canvas, not at every tick.
  const cache = useMemo(() => new FrameCache(), [images]);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(true);
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => setFrame((f) => (f + 1) % (2 * count - 2 || 1)), 1000 / fps);
    return () => clearInterval(timer);
  }, [playing, fps, count]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === ' ' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLButtonElement)) {
        e.preventDefault();
        setPlaying((p) => !p);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const shown = frame < count ? frame : 2 * count - 2 - frame;
  return (
    <div className="flex flex-col items-center gap-2" data-testid="animation">
      <ImageTile data={images.data} shape={images.shape} index={Math.min(shown, count - 1)} zoom={6} maxSize={PLAYER_MAX} cache={cache} label={`frame ${Math.min(shown, count - 1) + 1} of ${count}`} />
      <button type="button" onClick={() => setPlaying(!playing)} className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised" title="Play or pause (Space)">
        {playing ? 'Pause' : 'Play'}
      </button>
    </div>
  );
}
