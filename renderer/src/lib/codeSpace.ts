import type { ModelSummary } from '../../../electron/api/contract';
import { float32Tensor, type Float32Tensor } from '../../../electron/api/tensor';

/** Where a code lives: z (the prior), or a StyleGAN-style model's w (one style) or w+ (one per layer). */
export type CodeSpace = 'z' | 'w' | 'w+';

/**
 * `count` codes of a space as the engine takes them, keeping their shape: z as the model's latent
 * ([count, 4, 32, 32] for a spatial latent), w [count, wDim], w+ [count, numWs, wDim].
 */
export function codesTensor(model: Pick<ModelSummary, 'style' | 'latent'> | undefined, space: CodeSpace, codes: Float32Array, count: number): Float32Tensor {
  if (space === 'z' || !model?.style) {
    const shape = model?.latent?.shape;
    const fits = shape && shape.reduce((a, b) => a * b, 1) * count === codes.length;
    return float32Tensor(fits ? [count, ...shape] : [count, codes.length / count], codes);
  }
  return float32Tensor(space === 'w' ? [count, model.style.wDim] : [count, model.style.numWs, model.style.wDim], codes);
}

/** model.decode's arguments for codes of a space. */
export const decodeArgs = (model: Pick<ModelSummary, 'id' | 'style' | 'latent'>, space: CodeSpace, codes: Float32Array, count: number) => ({
  model: model.id,
  z: codesTensor(model, space, codes, count),
  ...(space === 'z' ? {} : { space }),
});

/** w [wDim] on every layer: w+ [numWs × wDim]. */
export function broadcastW(w: Float32Array, numWs: number): Float32Array {
  const out = new Float32Array(numWs * w.length);
  for (let l = 0; l < numWs; l++) out.set(w, l * w.length);
  return out;
}
