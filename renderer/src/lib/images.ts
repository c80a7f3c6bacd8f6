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
