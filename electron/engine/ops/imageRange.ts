/** Models read and write images in their own value range; the contract speaks [0, 1]. */
export type Range = readonly [number, number];

export function fromUnitRange(values: Float32Array, [lo, hi]: Range): Float32Array {
  const out = new Float32Array(values.length);
  const scale = hi - lo;
  for (let i = 0; i < values.length; i++) out[i] = lo + values[i]! * scale;
  return out;
}

export function toUnitRange(values: Float32Array, [lo, hi]: Range): Float32Array {
  const out = new Float32Array(values.length);
  const inv = 1 / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! - lo) * inv;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

export function bytesToRange(bytes: Uint8Array, [lo, hi]: Range): Float32Array {
  const out = new Float32Array(bytes.length);
  const scale = (hi - lo) / 255;
  for (let i = 0; i < bytes.length; i++) out[i] = lo + bytes[i]! * scale;
  return out;
}

/** Byte k → the model's value, as fromUnitRange gives for k / 255: one lookup a pixel for readers of many images. */
export function byteTable([lo, hi]: Range = [0, 1]): Float32Array {
  const unit = Float32Array.from({ length: 256 }, (_, k) => k / 255);
  return fromUnitRange(unit, [lo, hi]);
}
