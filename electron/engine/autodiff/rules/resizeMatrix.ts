/** One axis of an ONNX Resize, as its attributes and the probed sizes give it. */
export interface ResizeAxis {
  inSize: number;
  outSize: number;
  /** out/in, or the scale the graph states (the coordinate transform uses it). */
  scale: number;
  mode: 'nearest' | 'linear';
  coordinates: string;
  nearest: string;
}

/** Where output pixel i samples the input, by ONNX's coordinate_transformation_mode. */
function sourceCoordinate(i: number, a: ResizeAxis): number {
  switch (a.coordinates) {
    case 'half_pixel':
      return (i + 0.5) / a.scale - 0.5;
    case 'pytorch_half_pixel':
      return a.outSize > 1 ? (i + 0.5) / a.scale - 0.5 : 0;
    case 'align_corners':
      return a.outSize > 1 ? (i * (a.inSize - 1)) / (a.outSize - 1) : 0;
    case 'asymmetric':
      return i / a.scale;
    case 'tf_half_pixel_for_nn':
      return (i + 0.5) / a.scale;
    default:
      throw new Error(`Resize coordinate_transformation_mode "${a.coordinates}" is not differentiated`);
  }
}

function nearestIndex(x: number, rule: string): number {
  switch (rule) {
    case 'round_prefer_floor':
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    default:
      throw new Error(`Resize nearest_mode "${rule}" is not differentiated`);
  }
}

/**
 * The [out, in] matrix A with y = A·x along one axis: one 1 per row for nearest,
 * two weights per row for linear (the source clamped to the edge, as ONNX Runtime does).
 */
export function resizeMatrix(a: ResizeAxis): Float32Array {
  const m = new Float32Array(a.outSize * a.inSize);
  const last = a.inSize - 1;
  for (let i = 0; i < a.outSize; i++) {
    const x = sourceCoordinate(i, a);
    if (a.mode === 'nearest') {
      m[i * a.inSize + Math.min(Math.max(nearestIndex(x, a.nearest), 0), last)] = 1;
      continue;
    }
    const clamped = Math.min(Math.max(x, 0), last);
    const lo = Math.floor(clamped);
    const hi = Math.min(lo + 1, last);
    const w = clamped - lo;
    m[i * a.inSize + lo]! += 1 - w;
    m[i * a.inSize + hi]! += w;
  }
  return m;
}
