/** Pixels of one image from a [batch, channels, height, width] tensor, as RGBA for a canvas. */
export function imageToRgba(
  data: Float32Array | Uint8Array,
  index: number,
  channels: number,
  height: number,
  width: number,
): Uint8ClampedArray<ArrayBuffer> {
  const plane = height * width;
  const base = index * channels * plane;
  const scale = data instanceof Uint8Array ? 1 : 255;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = data[base + (channels === 1 ? 0 : c) * plane + p]! * scale;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** The integer zoom that shows an image at about `box` CSS pixels on its longer side (never below 1). */
export function fitZoom(shape: readonly number[], box = 168): number {
  const [, , height = 1, width = 1] = shape;
  return Math.max(1, Math.round(box / Math.max(height, width)));
}
