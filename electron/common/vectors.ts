/** Small vector helpers for latent editing (pure; shared by engine and renderer). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * Removes from `direction` its components along `others` (Gram–Schmidt on the
 * others first, so they need not be orthogonal to each other), keeping its length.
 * "Make it a boot" orthogonal to "brightness" no longer changes brightness.
 */
export function orthogonalize(direction: ArrayLike<number>, others: ArrayLike<number>[]): Float32Array {
  const basis: Float64Array[] = [];
  for (const other of others) {
    const v = Float64Array.from(other as ArrayLike<number>);
    for (const b of basis) {
      const k = dot(v, b);
      for (let i = 0; i < v.length; i++) v[i]! -= k * b[i]!;
    }
    const n = norm(v);
    if (n > 1e-9) basis.push(v.map((x) => x / n));
  }
  const out = Float64Array.from(direction as ArrayLike<number>);
  for (const b of basis) {
    const k = dot(out, b);
    for (let i = 0; i < out.length; i++) out[i]! -= k * b[i]!;
  }
  const scale = norm(out) > 1e-12 ? norm(direction) / norm(out) : 0;
  return Float32Array.from(out, (x) => x * scale);
}

export interface Edit {
  direction: string;
  amount: number;
}

/** z + Σ sᵢ·Δᵢ over an edit stack; an edit whose direction is unknown is skipped. */
export function applyEdits(base: Float32Array, edits: readonly Edit[], vectors: ReadonlyMap<string, ArrayLike<number>>): Float32Array {
  const out = base.slice();
  for (const edit of edits) {
    const v = vectors.get(edit.direction);
    if (!v || edit.amount === 0) continue;
    for (let i = 0; i < out.length; i++) out[i]! += edit.amount * v[i]!;
  }
  return out;
}
