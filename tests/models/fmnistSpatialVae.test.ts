import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psnr } from '../../electron/common/imageMetrics';
import { unitTensor, type Float32Tensor, type Uint8Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { callOptions, ok, realEngine } from '../helpers/engine';

const IMAGES = 64;

/**
 * The decoder the class-conditional latent diffusion model draws through: what it cannot reconstruct, no sample can
 * show. Through the app's own calls, on the bundled test images (the model never saw them).
 */
describe('the bundled spatial VAE (fmnist-vae-spatial)', () => {
  let engine: Engine;
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  const reconstruct = async (model: string, images: Float32Tensor) => {
    const { mean } = ok<{ mean: Float32Tensor }>(await call('model.encode', { model, images }));
    return { mean, images: ok<{ images: Float32Tensor }>(await call('model.decode', { model, z: mean })).images };
  };

  it('encodes to a [4, 7, 7] code and reconstructs test images far more closely than the 16-d VAE, keeping their class', async () => {
    const images = unitTensor(ok<{ images: Uint8Tensor }>(await call('dataset.images', { indices: Array.from({ length: IMAGES }, (_, i) => i) })).images);
    const spatial = await reconstruct('fmnist-vae-spatial', images);
    expect(spatial.mean.shape).toEqual([IMAGES, 4, 7, 7]);
    const flat = await reconstruct('fmnist-vae', images);
    const [sharp, blurred] = [psnr(spatial.images.data, images.data), psnr(flat.images.data, images.data)];
    console.info(`reconstruction PSNR over ${IMAGES} test images: fmnist-vae-spatial ${sharp.toFixed(2)} dB, fmnist-vae ${blurred.toFixed(2)} dB`);
    expect(sharp).toBeGreaterThan(25);
    expect(sharp).toBeGreaterThan(blurred + 3);

    const classify = async (x: Float32Tensor) => ok<{ predicted: number[] }>(await call('model.classify', { model: 'fmnist-classifier', images: x })).predicted;
    const [before, after] = [await classify(images), await classify(spatial.images)];
    const kept = before.filter((label, i) => label === after[i]).length;
    expect(kept / IMAGES).toBeGreaterThanOrEqual(0.9);
  });
});
