/**
 * Tensors cross every boundary as a typed array plus its shape, never as JSON
 * number lists: IPC's structured clone and the WebSocket wire format both carry
 * the bytes as they are.
 */
function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Checked at the boundary by tensorSchemas.ts (kept apart: the page imports these helpers at load, zod after). */
export interface Float32Tensor {
  dtype: 'float32';
  shape: number[];
  data: Float32Array;
}
export interface Uint8Tensor {
  dtype: 'uint8';
  shape: number[];
  data: Uint8Array;
}

export function float32Tensor(shape: number[], data?: Float32Array): Float32Tensor {
  const size = elementCount(shape);
  const values = data ?? new Float32Array(size);
  if (values.length !== size) {
    throw new Error(`tensor data has ${values.length} values; shape [${shape.join(', ')}] needs ${size}`);
  }
  return { dtype: 'float32', shape, data: values };
}

export { elementCount };

/**
 * 8-bit values as floats k / 255, by a plain loop: Float32Array.from with a mapping function calls it per value, about
 * 20 times slower (7.8M values: 811 ms against 36; two 256 px keyframes: 37 ms against 3).
 */
export function unitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}

/** An 8-bit image tensor as floats in [0, 1]. */
export const unitTensor = (images: Uint8Tensor): Float32Tensor => float32Tensor([...images.shape], unitFloats(images.data));

/**
 * Values in [0, 1] (any floats: decoded images stray outside) as bytes, rounded and clamped as a canvas's
 * Uint8ClampedArray does, so bytes made here draw the pixels the floats would.
 */
export function clampedUnitBytes(data: Float32Array): Uint8Array {
  const out = new Uint8ClampedArray(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * 255;
  return new Uint8Array(out.buffer);
}

/** Batches of 8-bit images, in order, as one [n, ...] tensor (a sweep's pieces, a grid's kept and new pictures). */
export function joinBatches(parts: readonly Uint8Tensor[]): Uint8Tensor {
  const data = new Uint8Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { dtype: 'uint8', shape: [parts.reduce((n, p) => n + p.shape[0]!, 0), ...parts[0]!.shape.slice(1)], data };
}

/** unitFloats' inverse for values that are k / 255 (fitted images): each rounded back to its byte, by a plain loop. */
export function unitBytes(floats: Float32Array): Uint8Array {
  const out = new Uint8Array(floats.length);
  for (let i = 0; i < floats.length; i++) out[i] = Math.round(floats[i]! * 255);
  return out;
}
