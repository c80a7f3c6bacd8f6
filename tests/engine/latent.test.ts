import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { interpolatePath, lerp, slerp } from '../../electron/common/interpolate';
import { randomNormal } from '../../electron/common/random';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { exportGif } from '../../electron/engine/ops/gif';
import { principalComponents } from '../../electron/engine/ops/projection';
import { callOptions, ok, realEngine } from '../helpers/engine';


describe('PCA', () => {
  it('agrees with ml-matrix’s SVD of the centred data', async () => {
    const count = 500;
    const dim = 6;
    const noise = randomNormal(count * dim, 5);
    // Correlated data: scale and mix the axes so the components are distinct.
    const codes = new Float32Array(count * dim);
    for (let n = 0; n < count; n++) {
      for (let j = 0; j < dim; j++) codes[n * dim + j] = (j + 1) * noise[n * dim + j]! + 0.5 * noise[n * dim + ((j + 1) % dim)]! + 3;
    }
    const pca = await principalComponents(codes, count, dim);
    const centred = new Matrix(count, dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) centred.set(n, j, codes[n * dim + j]! - pca.mean[j]!);
    const svd = new SingularValueDecomposition(centred, { autoTranspose: true });
    svd.diagonal.forEach((s, i) => expect(pca.variance[i]).toBeCloseTo((s * s) / (count - 1), 2));
    for (let c = 0; c < dim; c++) {
      const v = svd.rightSingularVectors.getColumn(c);
      const dot = v.reduce((sum, x, j) => sum + x * pca.components[c * dim + j]!, 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 4);
    }
    expect(pca.explained.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Coordinates are the centred data on the components.
    expect(pca.coords[0]).toBeCloseTo(Array.from({ length: dim }, (_, j) => centred.get(0, j) * pca.components[j]!).reduce((a, b) => a + b, 0), 4);
  });
});

describe('interpolation', () => {
  it('slerp between orthogonal unit vectors stays on the unit sphere', () => {
    const a = new Float32Array(16);
    const b = new Float32Array(16);
    a[0] = 1;
    b[5] = 1;
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const v = slerp(a, b, t);
      expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    }
    // Halfway is the bisector; lerp's halfway falls inside the sphere.
    expect(slerp(a, b, 0.5)[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Math.hypot(...lerp(a, b, 0.5))).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('a path through keyframes starts and ends exactly on them and honours segment durations', () => {
    const keys = randomNormal(3 * 4, 9);
    for (const method of ['lerp', 'slerp'] as const) {
      const path = interpolatePath(keys, 4, 9, method, [3, 1]);
      expect(Array.from(path.subarray(0, 4))).toEqual(Array.from(keys.subarray(0, 4)));
      expect(Array.from(path.subarray(32, 36))).toEqual(Array.from(keys.subarray(8, 12)));
      // The first segment takes three quarters of the time: frame 6 of 0…8 is exactly keyframe 1.
      Array.from(path.subarray(24, 28)).forEach((v, j) => expect(v).toBeCloseTo(keys[4 + j]!, 5));
    }
    expect(() => interpolatePath(keys, 4, 5, 'lerp', [1])).toThrow(/one positive duration per segment/);
  });
});

describe('latent calls on the real VAE', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('a preview is the decode as 8-bit planes, on its lane like a decode', async () => {
    const z = float32Tensor([2, 16], Float32Array.from([...randomNormal(16, 3), ...randomNormal(16, 4)]));
    const decoded = ok<{ images: { shape: number[]; data: Float32Array } }>(await call('model.decode', { model: 'fmnist-vae', z }));
    const preview = ok<{ images: { dtype: string; shape: number[]; data: Uint8Array }; ms: number }>(await call('model.preview', { model: 'fmnist-vae', z, lane: 'edit' }));
    expect(preview.images.dtype).toBe('uint8');
    expect(preview.images.shape).toEqual([2, 1, 28, 28]);
    expect(preview.images.data).toBeInstanceOf(Uint8Array);
    // The bytes a canvas would take from the floats (Uint8ClampedArray: clamped, rounded half to even).
    expect(Array.from(preview.images.data)).toEqual(Array.from(Uint8ClampedArray.from(decoded.images.data, (v) => v * 255)));
    expect(preview.ms).toBeGreaterThan(0);
    // The same boundary as decode: a wrong-sized code is refused with the shape named.
    expect(await call('model.preview', { model: 'fmnist-vae', z: float32Tensor([1, 15], new Float32Array(15)) })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('interpolation frames start and end on decode(A) and decode(B), as 8-bit planes (what model.preview gives)', async () => {
    const a = randomNormal(16, 1);
    const b = randomNormal(16, 2);
    const strip = ok<{ images: { dtype: string; shape: number[]; data: Uint8Array } }>(
      await call('latent.interpolate', { model: 'fmnist-vae', keyframes: float32Tensor([2, 16], Float32Array.from([...a, ...b])), frames: 10, method: 'slerp' }),
    );
    expect(strip.images.shape).toEqual([10, 1, 28, 28]);
    // A strip is only drawn and exported: bytes, a quarter of float32's (64 frames at 256 px: 12.6 MB, not 50).
    expect(strip.images.dtype).toBe('uint8');
    expect(strip.images.data).toBeInstanceOf(Uint8Array);
    const ends = ok<{ images: { data: Uint8Array } }>(await call('model.preview', { model: 'fmnist-vae', z: float32Tensor([2, 16], Float32Array.from([...a, ...b])) }));
    const both = (source: Uint8Array, frame: number) => Array.from(source.subarray(frame * 784, (frame + 1) * 784));
    expect(both(strip.images.data, 0)).toEqual(both(ends.images.data, 0));
    expect(both(strip.images.data, 9)).toEqual(both(ends.images.data, 1));
  });

  it('interpolations on a lane: a frame count dragged from 2 to 64 decodes the first strip and the last, the ones between are superseded', async () => {
    const keyframes = float32Tensor([2, 16], Float32Array.from([...randomNormal(16, 1), ...randomNormal(16, 2)]));
    const outcomes = await Promise.all(Array.from({ length: 63 }, (_, i) => call('latent.interpolate', { model: 'fmnist-vae', keyframes, frames: i + 2, method: 'slerp', lane: 'interpolate' })));
    const done = outcomes.flatMap((o) => (o.ok ? [(o.result as { images: { shape: number[] } }).images.shape[0]] : []));
    expect(done[0]).toBe(2);
    expect(done.at(-1)).toBe(64);
    expect(outcomes.filter((o) => !o.ok && o.error.code === 'superseded').length).toBe(63 - done.length);
    expect(done.length).toBeLessThan(10);
  });

  it('projects the encoded dataset and finds neighbours of the same kind in the full latent space', async () => {
    const encoded = ok<{ codes: { data: Float32Array }; labels: number[] }>(await call('dataset.encode', { model: 'fmnist-vae', batchSize: 1000 }));
    const projection = ok<{ coords: { shape: number[] }; explained: number[] }>(await call('dataset.project', { model: 'fmnist-vae' }));
    expect(projection.coords.shape).toEqual([10000, 16]);
    expect(projection.explained[0]).toBeGreaterThan(projection.explained[2]!);
    let sameClass = 0;
    for (const index of [0, 100, 200, 300, 400]) {
      const { indices } = ok<{ indices: number[] }>(await call('latent.neighbors', { model: 'fmnist-vae', query: float32Tensor([1, 16], encoded.codes.data.slice(index * 16, index * 16 + 16)), k: 10, exclude: [index] }));
      expect(indices).not.toContain(index);
      sameClass += indices.filter((i) => encoded.labels[i] === encoded.labels[index]).length;
    }
    expect(sameClass / 50).toBeGreaterThan(0.6);
  });

  it('neighbours before encoding the dataset encode it first (as after its codes were evicted)', async () => {
    const fresh = await realEngine();
    const outcome = await dispatchCall(fresh.handlers, 'latent.neighbors', { model: 'fmnist-vae', query: float32Tensor([1, 16]), k: 3 }, callOptions());
    expect(outcome).toMatchObject({ ok: true, result: { indices: [expect.any(Number), expect.any(Number), expect.any(Number)] } });
    await fresh.dispose();
  });
});

describe('GIF export', () => {
  it('writes a looping GIF89a with one frame per image, upscaled', async () => {
    const frames = float32Tensor([3, 1, 28, 28], new Float32Array(3 * 784).map((_, i) => (i % 784) / 784));
    const gif = await exportGif(frames, 4, [100, 100, 300]);
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
    expect(gif[6]! | (gif[7]! << 8)).toBe(112);
    // Count image descriptors (0x2C after a graphic control extension block).
    let descriptors = 0;
    for (let i = 0; i < gif.length - 1; i++) if (gif[i] === 0x00 && gif[i + 1] === 0x2c) descriptors++;
    expect(descriptors).toBeGreaterThanOrEqual(3);
    expect(gif.at(-1)).toBe(0x3b);
  });
});
