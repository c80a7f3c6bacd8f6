import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../api/errors';
import { floatTensor, int64Tensor } from '../autodiff/onnxModel';
import { writeFileAtomic } from '../atomicWrite';
import type { DatasetSample } from '../dataset/sample';
import type { JobContext } from './datasetEncode';
import { unitFloats } from '../../api/tensor';
import { symmetricEigen } from '../runtime/eigenThread';
import { centredCrossProduct, graphBytes } from './matmul';
import { fixedSign } from './projection';
import { MANIFEST_FORMAT } from '../models/manifest';

export interface PcaModel {
  /** The model's folder: manifest.json, encoder.onnx, decoder.onnx. */
  folder: string;
  id: string;
  explained: number;
  psnr: number;
}

/**
 * PCA as a linear autoencoder (the seed's first model): the mean and the top-k
 * eigenvectors of the pixel covariance of the dataset sample. Codes are
 * whitened, z = (x − μ) V_k Λ_k^{−1/2}, so N(0, I) samples the Gaussian the
 * components describe (N(0, diag λ) in unwhitened coordinates) and every view
 * that samples a prior works unchanged; x̂ = μ + z Λ_k^{1/2} V_kᵀ. Written as a
 * model folder with two ONNX graphs, so it is a model like any other.
 */
export async function buildPcaModel(dataset: DatasetSample, latent: number, parent: string, job: JobContext<{ done: number; total: number }>): Promise<PcaModel> {
  const { count, channels, height, width } = dataset;
  const dim = channels * height * width;
  if (!Number.isInteger(latent) || latent < 2 || latent > Math.min(64, dim)) throw new ApiError('bad-input', `a PCA model keeps 2 to 64 components; got ${latent}`, 'args.latent');
  const total = 4;
  const step = (done: number) => {
    if (job.signal.aborted) throw new ApiError('cancelled', 'making the PCA model was cancelled');
    job.progress({ done, total });
  };
  step(0);
  const mean = new Float64Array(dim);
  for (let n = 0; n < count; n++) for (let j = 0; j < dim; j++) mean[j]! += dataset.pixels[n * dim + j]! / 255 / count;
  const pixels = unitFloats(dataset.pixels);
  const g = await centredCrossProduct(pixels, count, dim, mean);
  step(1);
  for (let i = 0; i < dim * dim; i++) g[i]! /= count - 1;
  // On a worker: a 784 × 784 decomposition is seconds of JavaScript, which held the engine's thread.
  const { values, vectors } = await symmetricEigen(g, dim);
  const order = Array.from(values, (value, index) => ({ value: Math.max(0, value), index })).sort((a, b) => b.value - a.value);
  const totalVariance = order.reduce((s, o) => s + o.value, 0) || 1;
  step(2);
  const kept = order.slice(0, latent);
  if (kept.some((o) => o.value <= 1e-12)) throw new ApiError('bad-input', `the dataset has fewer than ${latent} directions of variance`, 'args.latent');
  // Encoder weights V_k Λ^{-1/2} [dim × k], decoder weights Λ^{1/2} V_kᵀ [k × dim]; each vector's largest entry positive, so builds agree.
  const encode = new Float32Array(dim * latent);
  const decode = new Float32Array(latent * dim);
  kept.forEach(({ value, index }, c) => {
    const column = fixedSign(Array.from({ length: dim }, (_, j) => vectors[j * dim + index]!));
    const scale = Math.sqrt(value);
    for (let j = 0; j < dim; j++) {
      encode[j * latent + c] = column[j]! / scale;
      decode[c * dim + j] = column[j]! * scale;
    }
  });
  const explained = kept.reduce((s, o) => s + o.value, 0) / totalVariance;

  const id = `pca-${latent}`;
  const folder = join(parent, id);
  await mkdir(folder, { recursive: true });
  const shape = [channels, height, width];
  const encoderBytes = graphBytes('pca-encoder', { name: 'x', dims: ['batch', ...shape] }, { name: 'z', dims: ['batch', latent] }, [int64Tensor('flat_shape', [2], [-1, dim]), floatTensor('mean', [dim], mean), floatTensor('W', [dim, latent], encode)], [
    ['Reshape', ['x', 'flat_shape'], ['x_flat']],
    ['Sub', ['x_flat', 'mean'], ['x_centred']],
    ['MatMul', ['x_centred', 'W'], ['z']],
  ]);
  const decoderBytes = graphBytes('pca-decoder', { name: 'z', dims: ['batch', latent] }, { name: 'x', dims: ['batch', ...shape] }, [floatTensor('mean', [dim], mean), floatTensor('W', [latent, dim], decode), int64Tensor('image_shape', [4], [-1, ...shape])], [
    ['MatMul', ['z', 'W'], ['x_centred']],
    ['Add', ['x_centred', 'mean'], ['x_flat']],
    ['Reshape', ['x_flat', 'image_shape'], ['x']],
  ]);
  step(3);
  await writeFileAtomic(join(folder, 'encoder.onnx'), encoderBytes);
  await writeFileAtomic(join(folder, 'decoder.onnx'), decoderBytes);

  // Reconstruction PSNR over the whole sample, computed in closed form from the residual variance.
  const residual = totalVariance - kept.reduce((s, o) => s + o.value, 0);
  const psnr = 10 * Math.log10(1 / Math.max(1e-12, ((residual * (count - 1)) / count) / dim));
  const tensor = (name: string, dims: (number | string)[]) => ({ name, shape: dims, dtype: 'float32' as const });
  await writeFileAtomic(
    join(folder, 'manifest.json'),
    JSON.stringify(
      {
        format: MANIFEST_FORMAT,
        id,
        name: `PCA, ${latent} components`,
        kind: 'autoencoder',
        description: `Principal component analysis of the ${dataset.name} as a linear encoder and decoder: the ${latent} components explain ${(explained * 100).toFixed(1)}% of the pixel variance. Codes are whitened, so random codes from N(0, I) sample the Gaussian the components describe. Made by Latent Studio.`,
        image: { channels, height, width, range: [0, 1] },
        latent: { shape: [latent], prior: 'standard-normal' },
        graphs: {
          encoder: { file: 'encoder.onnx', inputs: [tensor('x', ['batch', ...shape])], outputs: [tensor('z', ['batch', latent])] },
          decoder: { file: 'decoder.onnx', inputs: [tensor('z', ['batch', latent])], outputs: [tensor('x', ['batch', ...shape])] },
        },
        training: { method: 'PCA (eigen-decomposition of the pixel covariance, ml-matrix)', dataset: dataset.name, images: count, whitened: true },
        metrics: { explainedVariance: Number(explained.toFixed(4)), datasetPsnrDb: Number(psnr.toFixed(3)), params: dim * latent * 2 + dim },
      },
      null,
      2,
    ),
  );
  step(4);
  return { folder, id, explained, psnr };
}
