import { describe, expect, it } from 'vitest';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';
import { randomNormal } from '../../electron/common/random';
import { displayBytes } from '../../electron/engine/ops/diffusionPreview';
import { decodeForDisplay } from '../../electron/engine/ops/displayDecode';
import { RUN_BYTES } from '../../electron/engine/runtime/sessions';

/** A stand-in decoder: each code [4, 8, 8] becomes a 3 × 64 × 64 image of values made from it, some outside [0, 1]. */
function decoder(calls: number[]) {
  return async (codes: Float32Tensor): Promise<Float32Tensor> => {
    const n = codes.shape[0]!;
    calls.push(n);
    const out = new Float32Array(n * 3 * 64 * 64);
    for (let i = 0; i < n; i++) for (let p = 0; p < 3 * 64 * 64; p++) out[i * 12288 + p] = 0.5 + 0.6 * codes.data[i * 256 + (p % 256)]!;
    return float32Tensor([n, 3, 64, 64], out);
  };
}

describe('codes decoded for display a run’s worth at a time', () => {
  it('gives the bytes a whole decode would, in pieces of RUN_BYTES of images, averaged down where asked', async () => {
    const codes = float32Tensor([100, 4, 8, 8], randomNormal(100 * 256, 4));
    const whole = displayBytes(await decoder([])(codes));
    const calls: number[] = [];
    const pieces = await decodeForDisplay(codes, 3 * 64 * 64, decoder(calls));
    expect(pieces.shape).toEqual([100, 3, 64, 64]);
    expect(Buffer.compare(pieces.data, whole.data)).toBe(0);
    const piece = Math.floor(RUN_BYTES / (4 * 3 * 64 * 64));
    expect(calls).toEqual([...Array(Math.floor(100 / piece)).fill(piece), ...(100 % piece ? [100 % piece] : [])]);
    // maxSide 32: each 64 px image averaged down 2 × 2, as model.preview's tiles ask.
    const small = await decodeForDisplay(codes, 3 * 64 * 64, decoder([]), 32);
    expect(small.shape).toEqual([100, 3, 32, 32]);
    expect(Buffer.compare(small.data, displayBytes(await decoder([])(codes), 32).data)).toBe(0);
  });

  it('no codes: the decoder’s own refusal', async () => {
    const refuse = async () => {
      throw new Error('expects latent codes of shape [batch, 4, 8, 8]; got [0, 4, 8, 8]');
    };
    await expect(decodeForDisplay(float32Tensor([0, 4, 8, 8]), 12288, refuse)).rejects.toThrow(/got \[0, 4, 8, 8\]/);
  });
});
