import { useLayoutEffect, useRef } from 'react';
import { imageToRgba } from '../lib/images';

interface ImageTileProps {
  data: Float32Array | Uint8Array;
  shape: readonly number[];
  index?: number;
  /** Integer zoom keeps pixels exact. */
  zoom?: number;
  label?: string;
}

/** One image from a tensor, drawn pixel-exact at an integer zoom. */
export function ImageTile({ data, shape, index = 0, zoom = 4, label }: ImageTileProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [, channels = 1, height = 28, width = 28] = shape;
  // Drawn before the browser paints, so a new image shows in the same frame as its commit.
  useLayoutEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    context.putImageData(new ImageData(imageToRgba(data, index, channels, height, width), width, height), 0, 0);
  }, [data, index, channels, height, width]);
  return (
    <figure className="m-0 flex flex-col items-center gap-1">
      <canvas
        ref={canvas}
        width={width}
        height={height}
        className="pixelated rounded-sm bg-black"
        style={{ width: width * zoom, height: height * zoom }}
        role="img"
        aria-label={label ?? 'image'}
      />
      {label && <figcaption className="text-xs text-muted">{label}</figcaption>}
    </figure>
  );
}
