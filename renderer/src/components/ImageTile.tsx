import { useLayoutEffect, useRef } from 'react';
import { canvasDraws } from '../lib/drawBudget';
import { imageToRgba, type FrameCache } from '../lib/images';

interface ImageTileProps {
  data: Float32Array | Uint8Array;
  shape: readonly number[];
  index?: number;
  /** Integer zoom keeps pixels exact. */
  zoom?: number;
  /** Instead of a zoom: the CSS size of the longer side, for tiles that fill the space they have. */
  size?: number;
  /** With a zoom: the longer side's CSS size at most, so a large model's image is not zoomed past the space it has. */
  maxSize?: number;
  label?: string;
  /** Frames already converted (a player's), reused by index. */
  cache?: FrameCache;
}

/** One image from a tensor, drawn pixel-exact at an integer zoom or fitted to a size (pixelated when enlarged 2× or more, smooth otherwise). */
export function ImageTile({ data, shape, index = 0, zoom = 4, size, maxSize, label, cache }: ImageTileProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [, channels = 1, height = 28, width = 28] = shape;
  const longer = Math.max(width, height);
  const scale = size ? size / longer : maxSize ? Math.min(zoom, maxSize / longer) : zoom;
  // Drawn before the browser paints, so a new image shows in the same frame as its commit; past the task's draw budget
  // (many large tiles mounting at once) in the tasks after, the old picture kept until then.
  useLayoutEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const make = () => new ImageData(imageToRgba(data, index, channels, height, width), width, height);
    return canvasDraws.draw(() => context.putImageData(cache ? cache.get(index, make) : make(), 0, 0));
  }, [data, index, channels, height, width, cache]);
  return (
    <figure className="m-0 flex flex-col items-center gap-1">
      <canvas
        ref={canvas}
        width={width}
        height={height}
        className={`${scale >= 2 ? 'pixelated' : ''} rounded-sm bg-black`}
        style={{ width: width * scale, height: height * scale }}
        role="img"
        aria-label={label ?? 'image'}
      />
      {label && <figcaption className="text-xs text-muted">{label}</figcaption>}
    </figure>
  );
}
