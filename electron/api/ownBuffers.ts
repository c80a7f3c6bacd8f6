/**
 * Structured clone (Electron's IPC, a worker's postMessage) copies a typed array together with the whole ArrayBuffer
 * it views. A view of part of a larger buffer would carry all of it: the explorer's hovered code is a subarray of every
 * point's code (100,000 spatial codes of [4, 8, 8]: 102 MB for one 1 KB code). The WebSocket framing copies only a
 * view's bytes; these make the other transports do the same.
 */

type View = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** The typed arrays' own slice, which copies: a Node Buffer's `slice` is another view of the same memory. */
const copyOf = (Object.getPrototypeOf(Uint8Array.prototype) as { slice: (this: View) => View }).slice;

/** The view itself when it spans its whole buffer, otherwise a copy of just its bytes. */
export function ownBytes<T extends View>(view: T): T {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : (copyOf.call(view) as T);
}

const isPlainObject = (value: object) => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * A message whose typed arrays each own their buffer: plain objects and arrays are copied where something inside
 * them changed, the rest is kept as it is (the message is JSON-like data and typed arrays).
 */
export function withOwnBuffers<T>(message: T): T {
  if (typeof message !== 'object' || message === null) return message;
  if (ArrayBuffer.isView(message)) return (message instanceof DataView ? message : ownBytes(message as unknown as View)) as T;
  if (Array.isArray(message)) {
    let copy: unknown[] | undefined;
    message.forEach((item, i) => {
      const owned = withOwnBuffers(item);
      if (owned !== item) (copy ??= [...message])[i] = owned;
    });
    return (copy ?? message) as T;
  }
  if (!isPlainObject(message)) return message;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(message)) {
    const owned = withOwnBuffers(value);
    if (owned !== value) (copy ??= { ...(message as Record<string, unknown>) })[key] = owned;
  }
  return (copy ?? message) as T;
}
