import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { EXACT_PCA_DIM, PCA_MAX_RANK, principalComponents, project } from '../../electron/engine/ops/projection';
import { callOptions, ok, realEngine, repoRoot } from '../helpers/engine';
import { timerGaps } from '../helpers/timerGaps';

describe('PCA of large codes', () => {
  it('past EXACT_PCA_DIM values per code, the leading components come from the Gram matrix and match the covariance’s', async () => {
    const [count, dim] = [200, 300];
    expect(dim).toBeGreaterThan(EXACT_PCA_DIM);
    // Codes near a 6-dimensional subspace, with a little noise in every direction.
    const factors = randomNormal(count * 6, 1);
    const basis = randomNormal(6 * dim, 2);
    const noise = randomNormal(count * dim, 3);
    const codes = new Float32Array(count * dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) {
      let v = 0.05 * noise[n * dim + j]!;
      for (let f = 0; f < 6; f++) v += factors[n * 6 + f]! * basis[f * dim + j]! * (6 - f);
      codes[n * dim + j] = v;
    }
    const p = await principalComponents(codes, count, dim);
    expect(p.rank).toBe(Math.min(PCA_MAX_RANK, count - 1));
    expect(p.coords.length).toBe(count * p.rank);
    // The covariance's own eigenvalues, computed the slow way here.
    const mean = new Float64Array(dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) mean[j]! += codes[n * dim + j]! / count;
    const centred = new Matrix(count, dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) centred.set(n, j, codes[n * dim + j]! - mean[j]!);
    const exact = new EigenvalueDecomposition(centred.transpose().mmul(centred).div(count - 1), { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
    // The six strong directions to 1e-3; past them the noise's, whose eigenvalues are 1e-5 of the largest, to 1e-2
    // (the Gram matrix is a float32 product, exact to about 1e-7 of the largest).
    for (let c = 0; c < 10; c++) expect(Math.abs(p.variance[c]! - exact[c]!) / exact[c]!).toBeLessThan(c < 6 ? 1e-3 : 1e-2);
    const total = exact.reduce((a, b) => a + Math.max(0, b), 0);
    expect(p.explained[0]).toBeCloseTo(exact[0]! / total, 4);
    // Unit, orthogonal components.
    const dot = (a: number, b: number) => p.components.subarray(a * dim, (a + 1) * dim).reduce((s, v, j) => s + v * p.components[b * dim + j]!, 0);
    expect(dot(0, 0)).toBeCloseTo(1, 4);
    expect(dot(3, 3)).toBeCloseTo(1, 4);
    expect(dot(0, 3)).toBeCloseTo(0, 4);
  });
});

describe('the PCA of a dataset’s codes, its products run by ONNX Runtime', () => {
  /** Codes near a 6-dimensional subspace, off the origin, with a little noise in every direction. */
  function codesNearSubspace(count: number, dim: number, seed: number): Float32Array {
    const factors = randomNormal(count * 6, seed);
    const basis = randomNormal(6 * dim, seed + 1);
    const noise = randomNormal(count * dim, seed + 2);
    const offset = randomNormal(dim, seed + 3);
    const codes = new Float32Array(count * dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) {
      let v = offset[j]! + 0.05 * noise[n * dim + j]!;
      for (let f = 0; f < 6; f++) v += factors[n * 6 + f]! * basis[f * dim + j]! * (6 - f);
      codes[n * dim + j] = v;
    }
    return codes;
  }

  // Both ways to the components: the covariance (≤ EXACT_PCA_DIM values a code) and the Gram matrix of a sample (past it).
  // (Past PCA_SAMPLE codes the Gram matrix is of a sample, whose variances are not all the codes'.)
  it.each([
    [3000, 48],
    [400, 300],
  ])('%i codes of %i values: the covariance’s leading eigenpairs, computed exactly in float64, and each code’s coordinates on them', async (count, dim) => {
    const codes = codesNearSubspace(count, dim, count + dim);
    const got = await principalComponents(codes, count, dim);
    const mean = new Float64Array(dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) mean[j]! += codes[n * dim + j]! / count;
    const centred = new Matrix(count, dim);
    for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) centred.set(n, j, codes[n * dim + j]! - mean[j]!);
    const evd = new EigenvalueDecomposition(centred.transpose().mmul(centred).div(count - 1), { assumeSymmetric: true });
    const exact = evd.realEigenvalues.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value);
    const total = exact.reduce((a, b) => a + Math.max(0, b.value), 0);
    for (let j = 0; j < dim; j++) expect(got.mean[j]).toBeCloseTo(mean[j]!, 4);
    for (let c = 0; c < 6; c++) {
      expect(Math.abs(got.variance[c]! - exact[c]!.value) / exact[c]!.value).toBeLessThan(1e-4);
      expect(got.explained[c]).toBeCloseTo(exact[c]!.value / total, 5);
      // The same direction (either sign; the sign is fixed by the largest entry).
      const vector = evd.eigenvectorMatrix.getColumn(exact[c]!.index);
      const along = got.components.subarray(c * dim, (c + 1) * dim).reduce((s, v, j) => s + v * vector[j]!, 0);
      expect(Math.abs(along)).toBeCloseTo(1, 4);
    }
    // Every code's coordinates, (code − mean) · component, within 1e-3 of the components' spread.
    const coords = project(got.mean, got.components.subarray(0, 6 * dim), dim, codes);
    let worst = 0;
    for (let n = 0; n < count; n++) for (let c = 0; c < 6; c++) worst = Math.max(worst, Math.abs(got.coords[n * got.rank + c]! - coords[n * 6 + c]!) / Math.sqrt(got.variance[c]!));
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);

  it('10,000 codes of 4,096 values: the engine keeps answering while their PCA runs', async () => {
    const [count, dim] = [10_000, 4096];
    const codes = codesNearSubspace(count, dim, 9);
    // Timers that should fire every 10 ms: in JavaScript loops the engine's thread missed them for seconds.
    const ticks = timerGaps(10);
    const projection = await principalComponents(codes, count, dim);
    const gaps = ticks.stop();
    expect(projection.rank).toBe(PCA_MAX_RANK);
    expect(projection.coords.length).toBe(count * PCA_MAX_RANK);
    // In JavaScript on the engine's thread it held it about 10 s; now the products go to ONNX Runtime, the
    // eigen-decomposition to a worker, and the loops left (the mean, the total variance) let other work in as they go.
    expect(Math.max(...gaps)).toBeLessThan(750);
  }, 120_000);
});

describe('a 256 px model over a folder of 256 px images (latent [4, 32, 32])', () => {
  let engine: Engine;
  let dataset: string;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'large-codes-'));
    for (const [label, colour] of [['Red', '#d04030'], ['Blue', '#3050d0']] as const) {
      mkdirSync(join(folder, label));
      for (let i = 0; i < 12; i++) {
        const disc = await sharp({ create: { width: 120 + 8 * i, height: 120 + 8 * i, channels: 3, background: colour } }).png().toBuffer();
        writeFileSync(join(folder, label, `${i}.png`), await sharp({ create: { width: 256, height: 256, channels: 3, background: '#ffffff' } }).composite([{ input: disc, left: 20 + i, top: 30 }]).png().toBuffer());
      }
    }
    engine = await realEngine();
    ok(await call('library.addFolder', { path: join(repoRoot, 'tests', 'fixtures', 'models') }));
    dataset = ok<{ id: string }>(await call('dataset.openFolder', { path: folder })).id;
  });
  afterAll(() => engine.dispose());

  it('the distance from the data, a direction between two labels and the explorer’s projection all answer (4,096 values a code)', async () => {
    const code = float32Tensor([1, 4, 32, 32], randomNormal(4096, 5));
    // Asked together, as Edit asks them when a direction is added: once the codes are encoded, each answers.
    const [typicality, direction] = await Promise.all([
      call('latent.typicality', { model: 'vae-256', dataset, code, lane: 'typicality' }),
      call('direction.meanDifference', { model: 'vae-256', dataset, positive: { classes: [1], indices: [] }, negative: { classes: [0], indices: [] } }),
    ]);
    expect(ok<{ percentile: number }>(typicality).percentile).toBeGreaterThanOrEqual(0);
    expect(ok<{ vector: Float32Tensor; positive: number }>(direction)).toMatchObject({ positive: 12, negative: 12, vector: { shape: [4, 32, 32] } });
    const projection = ok<{ dim: number; rank: number; components: Float32Tensor; coords: Float32Tensor }>(await call('dataset.project', { model: 'vae-256', dataset }));
    expect(projection).toMatchObject({ dim: 4096, rank: 23, components: { shape: [23, 4096] }, coords: { shape: [24, 23] } });
    const principal = ok<{ vectors: Float32Tensor }>(await call('direction.principal', { model: 'vae-256', dataset, count: 5, space: 'z' }));
    expect(principal.vectors.shape).toEqual([5, 4, 32, 32]);
  });
});
