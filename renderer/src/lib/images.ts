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

/** Standard-normal samples (Box–Muller) from a seeded generator, for latent codes. */
export function randomNormal(count: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
